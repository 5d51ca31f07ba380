-- Incident rerun de-duplication (issue 7): Wolverine may deliver the same incident twice (retries, two people
-- pressing "rerun"); within the window only the first request starts a dbt run. See src/webhook/incidentClaim.ts.
CREATE SCHEMA IF NOT EXISTS dwh_control;

CREATE TABLE IF NOT EXISTS dwh_control.dbt_incident_claims (
    incident_id        text PRIMARY KEY,
    severity           text NOT NULL,
    -- The dbt selection the claim started, for the audit trail.
    selection          text[] NOT NULL,
    claimed_at         timestamptz NOT NULL DEFAULT now(),
    claim_count        integer NOT NULL DEFAULT 1,
    duplicates_refused integer NOT NULL DEFAULT 0,
    n8n_execution_id   text
);
