-- metrics_extract_table of 0096 plus the two extract alerts of 0073 (v_extract_alerts), as 0/1 flags per table:
--   rows_without_watermark  the last loaded run counted source rows whose watermark is NULL or 'infinity'
--   watermark_not_bumped    a run of the last 24 h re-read rows changed under an unchanged watermark
-- New columns only at the end (CREATE OR REPLACE VIEW keeps the existing ones). late, stale and stuck are now 0, not
-- NULL (NaN), for a table never loaded or with no run in flight, so sum() over them counts.
CREATE OR REPLACE VIEW dwh_control.metrics_extract_table AS
SELECT s.table_name,
       s.source_db,
       s.mode,
       s.enabled::int::float8                                                        AS enabled,
       extract(epoch FROM s.cadence)::float8                                         AS cadence_seconds,
       extract(epoch FROM now() - lr.run_started_at)::float8                         AS last_run_age_seconds,
       extract(epoch FROM now() - w.last_loaded_at)::float8                          AS last_load_age_seconds,
       CASE WHEN isfinite(w.last_extracted_at) THEN extract(epoch FROM now() - w.last_extracted_at)::float8 END
                                                                                     AS watermark_lag_seconds,
       (s.enabled AND w.last_loaded_at IS NULL)::int::float8                         AS never_loaded,
       coalesce(s.enabled AND now() - w.last_loaded_at > 2 * s.cadence, false)::int::float8 AS late,
       coalesce(s.enabled AND now() - w.last_loaded_at > 4 * s.cadence, false)::int::float8 AS stale,
       coalesce(s.enabled AND now() - f.run_started_at > 2 * s.cadence, false)::int::float8 AS stuck,
       extract(epoch FROM now() - f.run_started_at)::float8                          AS in_flight_seconds,
       (h.subject IS NOT NULL)::int::float8                                          AS watermark_held_back,
       (SELECT count(*) FROM dwh_control.v_recent_failures rf
         WHERE rf.table_name = s.table_name AND NOT rf.recovered)::float8             AS unrecovered_failures,
       w.rows_loaded_last_run::float8                                                AS last_load_rows,
       l.csv_bytes::float8                                                           AS last_load_bytes,
       extract(epoch FROM l.extracted_at - l.run_started_at)::float8                 AS last_load_extract_seconds,
       extract(epoch FROM l.run_finished_at - coalesce(l.load_started_at, l.extracted_at))::float8
                                                                                     AS last_load_load_seconds,
       (EXISTS (SELECT 1 FROM dwh_control.v_extract_alerts a
                 WHERE a.subject = s.table_name AND a.alert = 'rows_without_watermark'))::int::float8 AS rows_without_watermark,
       (EXISTS (SELECT 1 FROM dwh_control.v_extract_alerts a
                 WHERE a.subject = s.table_name AND a.alert = 'watermark_not_bumped'))::int::float8   AS watermark_not_bumped
  FROM dwh_control.source_tables s
  LEFT JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN dwh_control.extract_runs l ON l.run_id = w.last_run_id
  LEFT JOIN dwh_control.extract_runs f
         ON f.table_name = s.table_name AND f.status IN ('extracting', 'uploaded', 'loading')
  LEFT JOIN dwh_control.v_extract_alerts h ON h.subject = s.table_name AND h.alert = 'watermark_held_back'
  LEFT JOIN LATERAL (SELECT r.run_started_at FROM dwh_control.extract_runs r
                      WHERE r.table_name = s.table_name ORDER BY r.run_started_at DESC LIMIT 1) lr ON true;
