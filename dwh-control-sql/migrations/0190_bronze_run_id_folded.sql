-- A back-fill COPYs the CSV straight into bronze and lets the _dwh_run_id default stamp every row with the load's run
-- (src/load/loadBronze.ts). As current_setting('dwh.load_run_id')::bigint that default is evaluated for every row:
-- about 7% of the warehouse backend's CPU in a 1M-row COPY (docs/BENCHMARKS.md), and the warehouse COPY is what a
-- one-pass load waits on. Wrapped in a function declared IMMUTABLE, PostgreSQL folds the call to a constant once
-- when it plans each statement (COPY prepares its defaults that way), which is exactly the meaning wanted: one run id
-- per load statement. The declaration is a deliberate stretch of IMMUTABLE that is safe here because nothing caches
-- it across statements: no index or generated column uses it, and the merge writes _dwh_run_id explicitly. Outside a
-- load the setting is unset and the statement fails when planned, as the per-row default failed before.
CREATE OR REPLACE FUNCTION dwh_control.load_run_id() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.current_setting('dwh.load_run_id')::bigint $$;
ALTER FUNCTION dwh_control.load_run_id() OWNER TO dwh_owner;

-- New and older bronze tables get the folded default on their first back-fill (ensureRunIdDefault), inside the load
-- transaction, while the table is empty. SECURITY DEFINER restated, as every CREATE OR REPLACE of it must.
CREATE OR REPLACE FUNCTION dwh_control.set_bronze_run_id_default(p_table text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dwh_control.source_tables s WHERE s.table_name = p_table) OR to_regclass(format('raw.%I', p_table)) IS NULL THEN
        RAISE EXCEPTION 'set_bronze_run_id_default: raw.% is not a registered bronze table', p_table USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('ALTER TABLE raw.%I ALTER COLUMN _dwh_run_id SET DEFAULT dwh_control.load_run_id()', p_table);
END
$$;
