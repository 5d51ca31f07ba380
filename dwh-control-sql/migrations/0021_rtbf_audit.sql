-- Right-to-be-forgotten audit (design doc §6.7 POPIA/GDPR, §6.8): one request per forgotten person and one action
-- row per relation touched, so the 30-day SLA can be shown to an auditor. No user id is stored: the person is
-- identified by subject_hmac (HMAC-SHA256 of 'subject:' || user_id under the anonymisation-secrets HMAC key), which
-- compliance can recompute for a given id but nobody can reverse.

CREATE TABLE IF NOT EXISTS dwh_control.rtbf_requests (
    request_id       bigserial PRIMARY KEY,
    subject_hmac     text NOT NULL CHECK (subject_hmac ~ '^[0-9a-f]{64}$'),
    -- When the person asked (users.deleted_at at the source when known, else when the operation ran).
    requested_at     timestamptz NOT NULL,
    started_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    status           text NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
    requested_by     text NOT NULL DEFAULT session_user,
    reason           text,
    error_message    text,
    n8n_execution_id text
);
CREATE INDEX IF NOT EXISTS rtbf_requests_subject ON dwh_control.rtbf_requests (subject_hmac);

CREATE TABLE IF NOT EXISTS dwh_control.rtbf_actions (
    action_id     bigserial PRIMARY KEY,
    request_id    bigint NOT NULL REFERENCES dwh_control.rtbf_requests (request_id),
    relation      text NOT NULL,          -- raw.auth_db__users, staging.stg_auth_db__users, intermediate.int_…, compliance.token_vault
    action        text NOT NULL CHECK (action IN ('deleted', 'view_follows_raw', 'absent', 'vault_purged')),
    rows_affected bigint NOT NULL DEFAULT 0,
    acted_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS rtbf_actions_request ON dwh_control.rtbf_actions (request_id);

-- Every forgotten subject. Anonymise rebuilds skip rows whose subject is listed here, so a person cannot come back
-- through a later snapshot extract of a source that still holds their soft-deleted row.
CREATE TABLE IF NOT EXISTS dwh_control.rtbf_subjects (
    subject_hmac   text PRIMARY KEY CHECK (subject_hmac ~ '^[0-9a-f]{64}$'),
    forgotten_at   timestamptz NOT NULL DEFAULT now(),
    first_request  bigint REFERENCES dwh_control.rtbf_requests (request_id)
);

-- The SLA view: days from request to completion (or to now while open); breached after 30 days.
CREATE OR REPLACE VIEW dwh_control.rtbf_sla AS
SELECT r.request_id,
       r.subject_hmac,
       r.requested_at,
       r.completed_at,
       r.status,
       round(extract(epoch FROM coalesce(r.completed_at, now()) - r.requested_at) / 86400.0, 2) AS days_open,
       coalesce(r.completed_at, now()) - r.requested_at > interval '30 days' AS sla_breached,
       (SELECT count(*) FROM dwh_control.rtbf_actions a WHERE a.request_id = r.request_id) AS actions,
       (SELECT coalesce(sum(a.rows_affected), 0) FROM dwh_control.rtbf_actions a WHERE a.request_id = r.request_id) AS rows_removed
  FROM dwh_control.rtbf_requests r;
