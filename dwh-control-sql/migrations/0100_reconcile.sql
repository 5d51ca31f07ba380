-- Reconcile (issue 17): proves bronze equals the source by comparing hashed key ranges, and records what it found.
--   source_tables.on_source_delete  what a repair does with bronze rows whose key was hard-deleted at the source:
--                                   'report' (default: only a finding), 'mark' (bronze gets _dwh_deleted_at), 'delete'
--   reconcile_runs                  one row per reconcile of a table: counts only (readable by dwh_readonly)
--   reconcile_findings              one row per differing key: the key values and what was done, never row values.
--                                   Keys are raw data: only the owner (the ETL login) reads them, not dwh_readonly
--   v_reconcile_status              the latest reconcile of every registered table
-- Idempotent: safe to run on a warehouse that already has part of it.
ALTER TABLE dwh_control.source_tables ADD COLUMN IF NOT EXISTS on_source_delete text NOT NULL DEFAULT 'report';

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'source_tables_on_source_delete_check'
                      AND conrelid = 'dwh_control.source_tables'::regclass) THEN
        ALTER TABLE dwh_control.source_tables ADD CONSTRAINT source_tables_on_source_delete_check
            CHECK (on_source_delete IN ('report', 'mark', 'delete'));
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS dwh_control.reconcile_runs (
    reconcile_run_id    bigserial PRIMARY KEY,
    table_name          text NOT NULL REFERENCES dwh_control.source_tables (table_name) ON UPDATE CASCADE,
    status              text NOT NULL CHECK (status IN ('running', 'matched', 'differences', 'repaired', 'failed')),
    repair              boolean NOT NULL DEFAULT false,
    watermark           timestamptz,      -- the table's loaded watermark when the reconcile started
    compared_up_to      timestamptz,      -- watermark - lookback: rows stamped later are not compared
    source_rows         bigint,           -- rows stamped up to compared_up_to, each side
    bronze_rows         bigint,
    ranges_compared     bigint,           -- key ranges whose aggregates were compared
    source_rows_read    bigint,           -- rows each server read to answer the reconcile's statements
    bronze_rows_read    bigint,
    missing_in_bronze   bigint,
    extra_in_bronze     bigint,           -- deleted at the source
    stale_in_bronze     bigint,           -- bronze holds another watermark value than the source
    changed_during_run  bigint,           -- differing keys the re-check found changed since (not differences)
    unresolved          bigint,           -- findings still open after any repair: what v_pipeline_alerts raises
    findings_truncated  boolean NOT NULL DEFAULT false,
    repair_run_id       bigint,           -- extract_runs row (mode 'repair') that re-extracted the affected keys
    message             text,
    error_message       text,
    run_started_at      timestamptz NOT NULL DEFAULT now(),
    run_finished_at     timestamptz,
    n8n_execution_id    text
);

CREATE INDEX IF NOT EXISTS reconcile_runs_table_started
    ON dwh_control.reconcile_runs (table_name, run_started_at DESC);

CREATE TABLE IF NOT EXISTS dwh_control.reconcile_findings (
    reconcile_run_id    bigint NOT NULL REFERENCES dwh_control.reconcile_runs (reconcile_run_id) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('missing_in_bronze', 'extra_in_bronze', 'stale_in_bronze')),
    key_values          text[] NOT NULL,  -- in the order of the table's key_columns
    action              text NOT NULL CHECK (action IN ('reported', 'reextracted', 'marked_deleted', 'deleted')),
    resolved            boolean NOT NULL DEFAULT false,
    PRIMARY KEY (reconcile_run_id, key_values)
);

CREATE OR REPLACE VIEW dwh_control.v_reconcile_status AS
SELECT DISTINCT ON (table_name)
       table_name, reconcile_run_id AS last_run_id, status, repair, compared_up_to, source_rows, bronze_rows,
       missing_in_bronze, extra_in_bronze, stale_in_bronze, changed_during_run, unresolved, findings_truncated,
       repair_run_id, coalesce(error_message, message) AS message, run_started_at, run_finished_at, n8n_execution_id
  FROM dwh_control.reconcile_runs
 WHERE status <> 'running'
 ORDER BY table_name, run_started_at DESC, reconcile_run_id DESC;

ALTER TABLE dwh_control.reconcile_runs OWNER TO dwh_owner;
ALTER TABLE dwh_control.reconcile_findings OWNER TO dwh_owner;
ALTER VIEW dwh_control.v_reconcile_status OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.reconcile_runs, dwh_control.reconcile_findings, dwh_control.v_reconcile_status FROM PUBLIC;
GRANT SELECT ON dwh_control.reconcile_runs, dwh_control.v_reconcile_status TO dwh_readonly;
-- The ETL stage role (0065) runs reconciles as it runs extracts and loads.
GRANT SELECT, INSERT, UPDATE ON dwh_control.reconcile_runs, dwh_control.reconcile_findings TO dwh_etl;
GRANT SELECT ON dwh_control.v_reconcile_status TO dwh_etl;
GRANT USAGE ON SEQUENCE dwh_control.reconcile_runs_reconcile_run_id_seq TO dwh_etl;
