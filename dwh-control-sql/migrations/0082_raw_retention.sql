-- Retention per layer (design doc §8.1: raw.* is kept 90 days; staging/intermediate/marts keep their history).
-- The registry declares it (source-registry.json: "retention": {"raw_days": 90} and a per-table raw_retention_days
-- override); registry-sync writes the effective number here. Only append (event) tables expire: an upsert table's
-- row is the current state of its key, a snapshot is replaced on every load (docs/control-schema.md, "Retention").
-- expire_raw runs (src/control/expireRaw.ts) are audited per table in retention_runs.

ALTER TABLE dwh_control.source_tables ADD COLUMN IF NOT EXISTS raw_retention_days integer;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conname = 'source_tables_raw_retention_check' AND conrelid = 'dwh_control.source_tables'::regclass) THEN
        ALTER TABLE dwh_control.source_tables ADD CONSTRAINT source_tables_raw_retention_check
            CHECK (raw_retention_days IS NULL OR (raw_retention_days > 0 AND load_strategy = 'append'));
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS dwh_control.retention_runs (
    retention_run_id     bigserial PRIMARY KEY,
    table_name           text NOT NULL,
    layer                text NOT NULL DEFAULT 'raw' CHECK (layer IN ('raw')),
    retention_days       integer NOT NULL,
    -- Rows loaded before this expire, once anonymised (their run is at or below the published build's watermark).
    cutoff               timestamptz NOT NULL,
    started_at           timestamptz NOT NULL DEFAULT now(),
    finished_at          timestamptz,
    status               text NOT NULL CHECK (status IN ('running', 'completed', 'skipped', 'failed')),
    rows_removed         bigint NOT NULL DEFAULT 0,
    batches              integer NOT NULL DEFAULT 0,
    -- Past the cutoff but not yet in a published Anonymise build: kept until they are (nothing is lost to intermediate).
    rows_kept_unanonymised bigint NOT NULL DEFAULT 0,
    message              text,
    n8n_execution_id     text
);
CREATE INDEX IF NOT EXISTS retention_runs_table ON dwh_control.retention_runs (table_name, started_at DESC);

ALTER TABLE dwh_control.retention_runs OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.retention_runs TO dwh_readonly;
