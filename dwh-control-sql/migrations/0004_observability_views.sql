-- Observability contract (execution manual §7, design doc §11.2). Every registered table appears in
-- v_table_freshness and v_watermark_lag, loaded or not, so a table that never ran is visible instead of absent.
-- Thresholds are multiples of each table's own cadence: §11.2 pages when an extract "hasn't run in >2× expected
-- interval", so 'late' starts there; 'stale' (> 4× cadence) means at least three schedule ticks produced nothing.

CREATE OR REPLACE VIEW dwh_control.v_table_freshness AS
SELECT s.table_name,
       s.source_db,
       s.mode,
       s.enabled,
       s.cadence,
       l.last_loaded_at,
       now() - l.last_loaded_at AS lag,
       coalesce(l.loads_last_24h, 0) AS loads_last_24h,
       CASE
           WHEN NOT s.enabled THEN 'disabled'
           WHEN l.last_loaded_at IS NULL THEN 'never_loaded'
           WHEN now() - l.last_loaded_at <= 2 * s.cadence THEN 'ok'
           WHEN now() - l.last_loaded_at <= 4 * s.cadence THEN 'late'
           ELSE 'stale'
       END AS freshness_status
  FROM dwh_control.source_tables s
  LEFT JOIN (
        SELECT table_name,
               max(run_finished_at) AS last_loaded_at,
               count(*) FILTER (WHERE run_finished_at > now() - interval '24 hours') AS loads_last_24h
          FROM dwh_control.extract_runs
         WHERE status = 'loaded'
         GROUP BY table_name) l USING (table_name);

COMMENT ON VIEW dwh_control.v_table_freshness IS
    'Per registered table: time since the last loaded run vs its cadence. freshness_status: ok (<= 2x cadence), late (<= 4x), stale (> 4x), never_loaded, disabled';

-- Failed runs of the last 24 hours, newest first; zero rows = healthy. `recovered` says a later run of the same
-- table has loaded since (the failed window was retried), so an alert can tell "still broken" from "healed".
CREATE OR REPLACE VIEW dwh_control.v_recent_failures AS
SELECT r.run_id,
       r.table_name,
       s.source_db,
       r.mode,
       r.window_lower,
       r.window_upper,
       r.csv_path,
       r.error_message,
       r.run_started_at,
       r.run_finished_at,
       r.n8n_execution_id,
       EXISTS (SELECT 1
                 FROM dwh_control.extract_runs later
                WHERE later.table_name = r.table_name
                  AND later.status = 'loaded'
                  AND later.run_started_at > r.run_started_at) AS recovered
  FROM dwh_control.extract_runs r
  JOIN dwh_control.source_tables s USING (table_name)
 WHERE r.status = 'failed'
   AND coalesce(r.run_finished_at, r.run_started_at) > now() - interval '24 hours'
 ORDER BY r.run_started_at DESC, r.run_id DESC;

COMMENT ON VIEW dwh_control.v_recent_failures IS
    'Runs with status failed in the last 24 hours, with their error text; recovered = a later run of the table has loaded';

-- Watermark vs clock. extract_lag = now() - watermark (how far behind the source the warehouse is); load_lag = time
-- since the last load committed. `state` tells "nothing to extract" (idle) from "stuck": an in-flight run older than
-- 2x cadence is stuck (crashed executor, execution manual §11).
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
       now() - w.last_extracted_at AS extract_lag,
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
    'Per registered table: watermark, extract_lag = now() - watermark, load_lag, in-flight run; state: ok, idle (last run loaded 0 rows), running, stuck (in flight > 2x cadence), never_loaded';

ALTER VIEW dwh_control.v_table_freshness OWNER TO dwh_owner;
ALTER VIEW dwh_control.v_recent_failures OWNER TO dwh_owner;
ALTER VIEW dwh_control.v_watermark_lag OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.v_table_freshness, dwh_control.v_recent_failures, dwh_control.v_watermark_lag TO dwh_readonly;
