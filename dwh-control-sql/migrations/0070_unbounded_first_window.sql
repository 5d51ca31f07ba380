-- The first window of a table has no lower bound. The watermark used to be seeded at 2000-01-01 and the window starts
-- at watermark - lookback, so rows stamped before 1999-12-31 (legacy imports, epoch defaults, '-infinity') were never
-- back-filled, although the first run is meant to read everything. '-infinity' is now the seed, the reset target of a
-- full reseed, and the extract reads `watermark_column <= upper` (no lower bound, '-infinity' stamps included) while
-- the watermark is '-infinity'.

ALTER TABLE dwh_control.extract_watermarks ALTER COLUMN last_extracted_at SET DEFAULT '-infinity';

-- A watermark still at the old seed (or reset to it) means "nothing read yet / read everything again".
UPDATE dwh_control.extract_watermarks SET last_extracted_at = '-infinity', updated_at = now()
 WHERE last_extracted_at = '2000-01-01T00:00:00Z';

CREATE OR REPLACE FUNCTION dwh_control.reset_watermark(p_table text, p_to timestamptz DEFAULT '-infinity')
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

-- extract_lag of a table not read yet is NULL: now() - '-infinity' is an error before PostgreSQL 17.
CREATE OR REPLACE VIEW dwh_control.v_watermark_lag AS
SELECT s.table_name,
       s.source_db,
       s.mode,
       s.enabled,
       s.cadence,
       s.safety_lag,
       w.last_extracted_at,
       w.last_loaded_at,
       w.last_run_id,
       w.rows_loaded_last_run,
       CASE WHEN isfinite(w.last_extracted_at) THEN now() - w.last_extracted_at END AS extract_lag,
       now() - w.last_loaded_at AS load_lag,
       f.run_id AS in_flight_run_id,
       f.status AS in_flight_status,
       f.run_started_at AS in_flight_since,
       CASE
           WHEN f.run_id IS NOT NULL AND now() - f.run_started_at > 2 * s.cadence THEN 'stuck'
           WHEN f.run_id IS NOT NULL THEN 'running'
           WHEN w.last_loaded_at IS NULL THEN 'never_loaded'
           WHEN w.rows_loaded_last_run = 0 THEN 'idle'
           ELSE 'ok'
       END AS state
  FROM dwh_control.source_tables s
  LEFT JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN dwh_control.extract_runs f
         ON f.table_name = s.table_name AND f.status IN ('extracting', 'uploaded', 'loading');

COMMENT ON VIEW dwh_control.v_watermark_lag IS
    'Per registered table: watermark, extract_lag = now() - watermark (NULL while nothing was read), load_lag, in-flight run; state: ok, idle (last run loaded 0 rows), running, stuck (in flight > 2x cadence), never_loaded';
