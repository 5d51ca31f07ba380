-- Incident webhook replay guard (issue 11): every accepted signed request is remembered by a digest of its MAC
-- until that signature can no longer pass the age check, so the same request replayed never starts a second dbt
-- run, whatever the Duplicate Window. See src/webhook/requestClaim.ts.
CREATE TABLE IF NOT EXISTS dwh_control.dbt_webhook_requests (
    request_digest    text PRIMARY KEY,            -- sha256 of the verified HMAC over "<timestamp>.<raw body>"
    incident_id       text NOT NULL,
    request_timestamp timestamptz NOT NULL,        -- the signed X-Wolverine-Timestamp
    valid_until       timestamptz NOT NULL,        -- timestamp + Max Request Age: after this the signature is stale anyway
    received_at       timestamptz NOT NULL DEFAULT now(),
    replays_refused   integer NOT NULL DEFAULT 0,
    n8n_execution_id  text
);
CREATE INDEX IF NOT EXISTS dbt_webhook_requests_valid_until_idx ON dwh_control.dbt_webhook_requests (valid_until);

ALTER TABLE dwh_control.dbt_webhook_requests OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.dbt_webhook_requests TO dwh_readonly;
-- 0050 left the claims table with the migrating DBA; the webhook's warehouse login writes both in one transaction.
ALTER TABLE dwh_control.dbt_incident_claims OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.dbt_incident_claims TO dwh_readonly;
