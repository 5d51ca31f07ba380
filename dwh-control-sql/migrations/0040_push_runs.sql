-- dwh_control.push_runs: one row per push-back of a target into analytics_db (design doc §9.3), with counts and
-- errors. Idempotent: safe to run on a warehouse that already has part of it.

CREATE SCHEMA IF NOT EXISTS dwh_control;

CREATE TABLE IF NOT EXISTS dwh_control.push_runs (
    push_run_id         bigserial PRIMARY KEY,
    target_name         text NOT NULL,                 -- e.g. tagme.user_summary (ready-made) or a custom name
    target_relation     text NOT NULL,                 -- <schema>.<table> in analytics_db
    source_description  text NOT NULL,                 -- marts.<relation> or 'query'
    mode                text NOT NULL CHECK (mode IN ('mirror', 'upsert')),
    status              text NOT NULL CHECK (status IN ('running', 'pushed', 'failed', 'skipped')),
    k                   integer,
    group_size_column   text,
    table_created       boolean NOT NULL DEFAULT false,
    rows_staged         bigint,
    rows_inserted       bigint,
    rows_updated        bigint,
    rows_unchanged      bigint,
    rows_deleted        bigint,
    rows_suppressed     bigint,
    rows_suppressed_removed bigint,
    error_message       text,
    skip_reason         text,
    run_started_at      timestamptz NOT NULL DEFAULT now(),
    lock_acquired_at    timestamptz,
    run_finished_at     timestamptz,
    n8n_execution_id    text
);

-- The run-log guard: at most one push of a target relation in flight. The advisory lock on analytics_db decides
-- who runs; this index makes a second writer fail loudly even if it bypassed the lock.
CREATE UNIQUE INDEX IF NOT EXISTS push_runs_one_running
    ON dwh_control.push_runs (target_relation)
    WHERE status = 'running';

CREATE INDEX IF NOT EXISTS push_runs_target_started
    ON dwh_control.push_runs (target_name, run_started_at DESC);

-- Only forward transitions: a finished run is an audit record.
CREATE OR REPLACE FUNCTION dwh_control.check_push_run_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NOT (OLD.status = 'running' AND NEW.status IN ('pushed', 'failed')) THEN
        RAISE EXCEPTION 'push run % of %: illegal status change % -> %', OLD.push_run_id, OLD.target_name, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS push_runs_transition ON dwh_control.push_runs;
CREATE TRIGGER push_runs_transition
    BEFORE UPDATE OF status ON dwh_control.push_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.check_push_run_transition();

-- Last run per target, for List Targets and dashboards.
CREATE OR REPLACE VIEW dwh_control.push_target_status AS
SELECT DISTINCT ON (target_name)
       target_name, target_relation, push_run_id AS last_run_id, status AS last_status, run_started_at AS last_started_at,
       run_finished_at AS last_finished_at, rows_inserted, rows_updated, rows_deleted, rows_unchanged, rows_suppressed,
       error_message AS last_error
  FROM dwh_control.push_runs
 ORDER BY target_name, run_started_at DESC, push_run_id DESC;

-- Ownership and read access as for the other control tables (0002/0003): the owner writes, dwh_readonly reads
-- (Grafana's push panel), PUBLIC gets nothing.
ALTER TABLE dwh_control.push_runs OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.check_push_run_transition() OWNER TO dwh_owner;
ALTER VIEW dwh_control.push_target_status OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.push_runs, dwh_control.push_target_status FROM PUBLIC;
GRANT SELECT ON dwh_control.push_runs, dwh_control.push_target_status TO dwh_readonly;
