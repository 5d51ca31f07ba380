-- dwh_control: source registry, watermarks and the per-run log (execution manual §4 A, §7; design doc §5).
-- Idempotent: safe to run on a warehouse that already has part of it.

CREATE SCHEMA IF NOT EXISTS dwh_control;
CREATE SCHEMA IF NOT EXISTS raw;

CREATE TABLE IF NOT EXISTS dwh_control.source_tables (
    table_name          text PRIMARY KEY,              -- bronze table in schema raw: <source_db>__<source_table>
    source_db           text NOT NULL,
    source_schema       text NOT NULL DEFAULT 'public',
    source_table        text NOT NULL,
    mode                text NOT NULL CHECK (mode IN ('incremental', 'snapshot')),
    load_strategy       text NOT NULL CHECK (load_strategy IN ('append', 'upsert', 'replace')),
    watermark_column    text,
    key_columns         text[] NOT NULL CHECK (cardinality(key_columns) > 0),
    cadence             interval NOT NULL,
    lookback            interval NOT NULL DEFAULT '0 seconds',
    safety_lag          interval NOT NULL DEFAULT '0 seconds',
    schema_drift_policy text NOT NULL DEFAULT 'add_nullable_columns'
                        CHECK (schema_drift_policy IN ('add_nullable_columns', 'fail')),
    excluded_columns    text[] NOT NULL DEFAULT '{}',
    enabled             boolean NOT NULL DEFAULT true,
    description         text NOT NULL DEFAULT '',
    registry_version    text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source_db, source_schema, source_table),
    CHECK ((mode = 'incremental') = (watermark_column IS NOT NULL)),
    CHECK ((mode = 'snapshot') = (load_strategy = 'replace')),
    CHECK (table_name ~ '^[a-z_][a-z0-9_]{0,62}$')
);

CREATE TABLE IF NOT EXISTS dwh_control.extract_watermarks (
    table_name           text PRIMARY KEY REFERENCES dwh_control.source_tables (table_name) ON UPDATE CASCADE,
    -- Upper bound of the last loaded window, at full timestamptz (microsecond) precision.
    last_extracted_at    timestamptz NOT NULL DEFAULT '2000-01-01T00:00:00Z',
    last_loaded_at       timestamptz,
    last_run_id          bigint,
    rows_loaded_last_run bigint,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dwh_control.extract_runs (
    run_id            bigserial PRIMARY KEY,
    table_name        text NOT NULL REFERENCES dwh_control.source_tables (table_name) ON UPDATE CASCADE,
    status            text NOT NULL CHECK (status IN ('extracting', 'uploaded', 'loading', 'loaded', 'failed', 'skipped')),
    mode              text NOT NULL,
    window_lower      timestamptz,
    window_upper      timestamptz,
    upper_capped_by   text,
    columns           text[],
    rows_extracted    bigint,
    rows_inserted     bigint,
    rows_updated      bigint,
    rows_unchanged    bigint,
    rows_deleted      bigint,
    csv_path          text,
    csv_bytes         bigint,
    csv_sha256        text,
    processed_path    text,
    csv_moved_at      timestamptz,
    error_message     text,
    skip_reason       text,
    run_started_at    timestamptz NOT NULL DEFAULT now(),
    extracted_at      timestamptz,
    load_started_at   timestamptz,
    run_finished_at   timestamptz,
    n8n_execution_id  text
);

-- At most one in-flight run per table. A concurrent extract hits this index and records itself as 'skipped'.
CREATE UNIQUE INDEX IF NOT EXISTS extract_runs_one_in_flight
    ON dwh_control.extract_runs (table_name)
    WHERE status IN ('extracting', 'uploaded', 'loading');

CREATE INDEX IF NOT EXISTS extract_runs_table_started
    ON dwh_control.extract_runs (table_name, run_started_at DESC);

CREATE INDEX IF NOT EXISTS extract_runs_unmoved
    ON dwh_control.extract_runs (table_name)
    WHERE status = 'loaded' AND csv_moved_at IS NULL;

-- The run log is an audit trail: only forward transitions are legal. A failed run may be re-loaded by hand
-- (failed -> loading), nothing ever leaves 'loaded' or 'skipped'.
CREATE OR REPLACE FUNCTION dwh_control.check_run_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NOT (
        (OLD.status = 'extracting' AND NEW.status IN ('uploaded', 'failed', 'skipped'))
        OR (OLD.status = 'uploaded' AND NEW.status IN ('loading', 'failed'))
        OR (OLD.status = 'loading' AND NEW.status IN ('loaded', 'failed'))
        OR (OLD.status = 'failed' AND NEW.status = 'loading')
    ) THEN
        RAISE EXCEPTION 'extract run % of %: illegal status change % -> %', OLD.run_id, OLD.table_name, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS extract_runs_transition ON dwh_control.extract_runs;
CREATE TRIGGER extract_runs_transition
    BEFORE UPDATE OF status ON dwh_control.extract_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.check_run_transition();
