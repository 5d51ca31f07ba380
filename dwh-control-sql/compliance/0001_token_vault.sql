-- The compliance vault (design doc §6.3): its own database, its own backups, readable only by compliance.
-- value_encrypted is pgp_sym_encrypt(value, key) with the key from the anonymisation-secrets credential, always
-- passed as a bound parameter. lookup_hash = hmac(value, hmac_key, 'sha256') finds an existing token for a value
-- without decrypting anything, so the same value always gets the same token.

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS compliance;

CREATE SEQUENCE IF NOT EXISTS compliance.token_seq;

CREATE TABLE IF NOT EXISTS compliance.token_vault (
    token           bigint PRIMARY KEY DEFAULT nextval('compliance.token_seq'),
    kind            text NOT NULL CHECK (kind ~ '^[a-z_][a-z0-9_]{0,62}$'),
    lookup_hash     bytea NOT NULL CHECK (length(lookup_hash) = 32),
    value_encrypted bytea NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, lookup_hash)
);
ALTER SEQUENCE compliance.token_seq OWNED BY compliance.token_vault.token;

-- Whose value a token holds (one value may belong to several people, e.g. a shared phone). Right-to-be-forgotten
-- removes a person's links and then every token nobody is linked to any more.
CREATE TABLE IF NOT EXISTS compliance.token_subjects (
    token        bigint NOT NULL REFERENCES compliance.token_vault (token) ON DELETE CASCADE,
    subject_hmac text NOT NULL CHECK (subject_hmac ~ '^[0-9a-f]{64}$'),
    source_db    text,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token, subject_hmac)
);
CREATE INDEX IF NOT EXISTS token_subjects_subject ON compliance.token_subjects (subject_hmac);

-- Break-glass audit: every reveal through src/anonymise/vault.ts writes a row before the value is returned.
CREATE TABLE IF NOT EXISTS compliance.reveal_log (
    reveal_id   bigserial PRIMARY KEY,
    token       bigint NOT NULL,
    kind        text,
    reason      text NOT NULL CHECK (length(btrim(reason)) > 0),
    revealed_by text NOT NULL DEFAULT session_user,
    revealed_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON ALL TABLES IN SCHEMA compliance FROM PUBLIC;
