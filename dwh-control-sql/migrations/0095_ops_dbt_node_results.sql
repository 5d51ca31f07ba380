-- dbt results per node (issue 15): every test, freshness check, model and seed of every dbt Core run the DbtRun node
-- starts, so nightly test failures and k-anonymity warnings reach the metrics and alerts, not only the n8n item list.
-- Written by src/dbt/dbtRunLog.ts together with the run's final dbt_runs row. `message` is dbt's message as the
-- runner kept it (database errors pass through redactErrorText, so no row values); never a metric label.
-- dbt_runs also gains the read-only commands (test, source freshness): they take no project lock, so they are
-- recorded once, when dbt has exited (no 'running' row that a crash could leave behind).
CREATE TABLE IF NOT EXISTS dwh_control.dbt_node_results (
    run_id               text NOT NULL REFERENCES dwh_control.dbt_runs (run_id) ON DELETE CASCADE,
    unique_id            text NOT NULL,
    resource_type        text NOT NULL,                 -- model, test, source (freshness), seed, snapshot, unit_test
    name                 text NOT NULL,                 -- splitUniqueId's readable name, e.g. ledger_db.transactions
    status               text NOT NULL,                 -- dbt's: success, error, skipped, pass, fail, warn, runtime error
    execution_time_s     numeric(12, 3) NOT NULL DEFAULT 0,
    started_at           timestamptz,
    completed_at         timestamptz,
    rows_affected        bigint,
    failures             bigint,                        -- failing rows of a test
    freshness_age_s      numeric(14, 3),                -- source freshness: max_loaded_at_time_ago_in_s
    message              text,
    PRIMARY KEY (run_id, unique_id)
);
CREATE INDEX IF NOT EXISTS dbt_node_results_latest ON dwh_control.dbt_node_results (unique_id, completed_at DESC);

ALTER TABLE dwh_control.dbt_node_results OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.dbt_node_results FROM PUBLIC;
GRANT SELECT ON dwh_control.dbt_node_results TO dwh_readonly;
