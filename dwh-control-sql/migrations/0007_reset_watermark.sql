-- Runbook operation (execution manual §11 "Back-fill a window" / "Full reseed") as a guarded function. The manual's
-- bare UPDATE loses the reset when a run is in flight: that run read the old watermark and its load advances the
-- watermark with greatest(watermark, its upper), silently undoing the reset. This function refuses instead.
--
-- It takes the pipeline's per-table advisory lock (same key as src/control/tableLock.ts:
-- hashtext('dwh_control.table_pipeline'), hashtext(<table>)) for its transaction, so no extract or load of the
-- table can start while it checks and writes.
CREATE OR REPLACE FUNCTION dwh_control.reset_watermark(p_table text, p_to timestamptz DEFAULT '2000-01-01T00:00:00Z')
RETURNS timestamptz
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    busy record;
    previous timestamptz;
BEGIN
    SELECT s.table_name, s.mode INTO t FROM dwh_control.source_tables s WHERE s.table_name = p_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not in dwh_control.source_tables', p_table
            USING ERRCODE = 'no_data_found', HINT = 'Use the bronze name <source_db>__<table>, e.g. auth_db__users.';
    END IF;
    IF t.mode = 'snapshot' THEN
        RAISE EXCEPTION '% is a snapshot table: every run re-reads it whole, so there is no watermark to reset', p_table
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF p_to IS NULL OR p_to > now() THEN
        RAISE EXCEPTION 'reset_watermark(%): the new watermark must be a time in the past, got %', p_table, coalesce(p_to::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('dwh_control.table_pipeline'), hashtext(p_table)) THEN
        RAISE EXCEPTION '% is being extracted or loaded right now; reset its watermark when that execution has finished', p_table
            USING ERRCODE = 'lock_not_available';
    END IF;
    SELECT r.run_id, r.status INTO busy
      FROM dwh_control.extract_runs r
     WHERE r.table_name = p_table AND r.status IN ('extracting', 'uploaded', 'loading');
    IF FOUND THEN
        RAISE EXCEPTION '% has run % in status %: its load would move the watermark forward again', p_table, busy.run_id, busy.status
            USING ERRCODE = 'object_in_use',
                  HINT = 'Load that run (BlobLoadBronze) or let the next extract abandon it, then reset.';
    END IF;
    SELECT w.last_extracted_at INTO previous FROM dwh_control.extract_watermarks w WHERE w.table_name = p_table FOR UPDATE;
    INSERT INTO dwh_control.extract_watermarks AS w (table_name, last_extracted_at, updated_at)
    VALUES (p_table, p_to, now())
    ON CONFLICT (table_name) DO UPDATE SET last_extracted_at = EXCLUDED.last_extracted_at, updated_at = now();
    RAISE NOTICE '%: watermark % -> %; the next run re-extracts everything after it (ON CONFLICT keeps the load idempotent)', p_table, previous, p_to;
    RETURN previous;
END
$$;

ALTER FUNCTION dwh_control.reset_watermark(text, timestamptz) OWNER TO dwh_owner;
-- Operators run it as a member of dwh_owner (n8n_etl or a DBA), never as the read-only role.
REVOKE ALL ON FUNCTION dwh_control.reset_watermark(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dwh_control.reset_watermark(text, timestamptz) TO dwh_owner;
