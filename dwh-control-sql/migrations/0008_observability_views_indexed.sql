-- The views of 0004 aggregated the whole run log on every dashboard refresh. At the §5 cadences the log grows by
-- ~6k runs a day (two million a year), so the views now read only what they show: the last load time from
-- extract_watermarks (written in the same transaction as the loaded run), the 24-hour counts and failures through
-- indexes on run_started_at. Same columns, same meaning (docs/control-schema.md).

CREATE INDEX IF NOT EXISTS extract_runs_failed_started
    ON dwh_control.extract_runs (run_started_at DESC)
    WHERE status = 'failed';

CREATE OR REPLACE VIEW dwh_control.v_table_freshness AS
SELECT s.table_name,
       s.source_db,
       s.mode,
       s.enabled,
       s.cadence,
       w.last_loaded_at,
       now() - w.last_loaded_at AS lag,
       coalesce(d.loads_last_24h, 0) AS loads_last_24h,
       CASE
           WHEN NOT s.enabled THEN 'disabled'
           WHEN w.last_loaded_at IS NULL THEN 'never_loaded'
           WHEN now() - w.last_loaded_at <= 2 * s.cadence THEN 'ok'
           WHEN now() - w.last_loaded_at <= 4 * s.cadence THEN 'late'
           ELSE 'stale'
       END AS freshness_status
  FROM dwh_control.source_tables s
  LEFT JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN LATERAL (
        SELECT count(*) AS loads_last_24h
          FROM dwh_control.extract_runs r
         WHERE r.table_name = s.table_name
           AND r.run_started_at > now() - interval '24 hours'
           AND r.status = 'loaded') d ON true;

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
                  AND later.run_started_at > r.run_started_at
                  AND later.status = 'loaded') AS recovered
  FROM dwh_control.extract_runs r
  JOIN dwh_control.source_tables s USING (table_name)
 WHERE r.status = 'failed'
   -- Index range first (no run lasts a week), then the exact "failed in the last 24 hours".
   AND r.run_started_at > now() - interval '7 days'
   AND coalesce(r.run_finished_at, r.run_started_at) > now() - interval '24 hours'
 ORDER BY r.run_started_at DESC, r.run_id DESC;
