-- dbt run log: one row per writing dbt Core run (build, run, seed, retry) started by the DbtRun node, so the DBA who
-- is paged can see what ran, when, what it selected and how it ended without opening n8n. Written by
-- src/dbt/dbtRunLog.ts on the connection that holds the project lock: 'running' before dbt starts, the outcome when
-- it exits. A run still 'running' when the next run of its project takes the lock lost its executor (the lock
-- proves nobody else is running): that next run marks it 'error' ("abandoned: …").
CREATE TABLE IF NOT EXISTS dwh_control.dbt_runs (
    run_id           text PRIMARY KEY,              -- the summary's runId (also the artifacts directory name)
    project          text NOT NULL,
    command          text NOT NULL,
    selection        text[] NOT NULL DEFAULT '{}',  -- --select, or the selector as 'selector:<name>'
    exclusion        text[] NOT NULL DEFAULT '{}',
    full_refresh     boolean NOT NULL DEFAULT false,
    retry_of         text,                          -- for command 'retry': the artifacts directory it retried
    status           text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'error')),
    exit_code        integer,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    elapsed_s        numeric(12, 3),
    node_count       integer,
    counts           jsonb,                         -- node count per dbt status, e.g. {"success": 5, "pass": 30}
    invocation_id    text,
    dbt_version      text,
    artifacts_dir    text,                          -- pass as retryOf to retry the run
    error_message    text,
    n8n_execution_id text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX IF NOT EXISTS dbt_runs_started_idx ON dwh_control.dbt_runs (started_at DESC);
CREATE INDEX IF NOT EXISTS dbt_runs_running_idx ON dwh_control.dbt_runs (project) WHERE status = 'running';

-- Failed and errored runs of the last 7 days, and whether they were recovered: a later successful run of the same
-- command and selection, or a successful `retry` of this very run.
CREATE OR REPLACE VIEW dwh_control.v_dbt_recent_failures AS
SELECT r.run_id, r.project, r.command, r.selection, r.exclusion, r.status, r.started_at, r.finished_at,
       r.error_message, r.artifacts_dir, r.n8n_execution_id,
       EXISTS (SELECT 1 FROM dwh_control.dbt_runs l
                WHERE l.project = r.project AND l.command = r.command AND l.selection = r.selection
                  AND l.exclusion = r.exclusion AND l.status = 'success' AND l.started_at > r.started_at)
       OR EXISTS (SELECT 1 FROM dwh_control.dbt_runs l
                   WHERE l.status = 'success' AND l.retry_of IN (r.artifacts_dir, r.artifacts_dir || '/target')) AS recovered
  FROM dwh_control.dbt_runs r
 WHERE r.status IN ('failed', 'error') AND r.started_at > now() - interval '7 days';

ALTER TABLE dwh_control.dbt_runs OWNER TO dwh_owner;
ALTER VIEW dwh_control.v_dbt_recent_failures OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.dbt_runs, dwh_control.v_dbt_recent_failures FROM PUBLIC;
GRANT SELECT ON dwh_control.dbt_runs, dwh_control.v_dbt_recent_failures TO dwh_readonly;
