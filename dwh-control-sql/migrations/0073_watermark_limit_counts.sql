-- Two limits of a watermark window that lost rows without a word are now counted in the run log and alerted:
--   rows_without_watermark   (extract) source rows whose watermark column is NULL or 'infinity': no window reaches them
--   rows_changed_same_stamp  (load) re-read rows whose content changed while their watermark stayed the same: changes
--                            the source makes after the lookback are never extracted (and append keeps the first version)
ALTER TABLE dwh_control.extract_runs ADD COLUMN IF NOT EXISTS rows_without_watermark bigint;
ALTER TABLE dwh_control.extract_runs ADD COLUMN IF NOT EXISTS rows_changed_same_stamp bigint;

-- v_extract_alerts of 0071, plus:
--   rows_without_watermark  the table's last loaded run counted such rows (heals when a later run counts none)
--   watermark_not_bumped    a run loaded in the last 24 hours re-read rows changed under an unchanged stamp
CREATE OR REPLACE VIEW dwh_control.v_extract_alerts AS
SELECT 'extract'::text AS area, 'watermark_held_back'::text AS alert, s.table_name AS subject,
       'watermark ' || w.last_extracted_at || ' is ' || date_trunc('second', now() - w.last_extracted_at)
         || ' behind although loads run; the last run was capped by ' || coalesce(r.upper_capped_by, 'unknown') AS detail,
       w.last_extracted_at AS since, r.n8n_execution_id
  FROM dwh_control.source_tables s
  JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN dwh_control.extract_runs r ON r.run_id = w.last_run_id
 WHERE s.enabled AND s.mode = 'incremental'
   AND isfinite(w.last_extracted_at)
   AND w.last_loaded_at > now() - 2 * s.cadence
   AND now() - w.last_extracted_at > 4 * s.cadence + s.safety_lag
UNION ALL
SELECT 'extract', 'rows_without_watermark', s.table_name,
       r.rows_without_watermark || ' source row(s) have ' || s.watermark_column
         || ' NULL or ''infinity'' and are outside every window (not extracted)',
       r.run_started_at, r.n8n_execution_id
  FROM dwh_control.source_tables s
  JOIN dwh_control.extract_watermarks w USING (table_name)
  JOIN dwh_control.extract_runs r ON r.run_id = w.last_run_id
 WHERE s.enabled AND r.rows_without_watermark > 0
UNION ALL
SELECT 'extract', 'watermark_not_bumped', s.table_name,
       c.n || ' re-read row(s) changed without a newer ' || s.watermark_column || ' in the last 24 h (' || c.runs
         || ' run(s)); such changes made after the lookback are never extracted',
       c.since, c.n8n_execution_id
  FROM dwh_control.source_tables s
  JOIN LATERAL (SELECT sum(r.rows_changed_same_stamp) AS n, count(*) AS runs, min(r.run_started_at) AS since,
                       max(r.n8n_execution_id) AS n8n_execution_id
                  FROM dwh_control.extract_runs r
                 WHERE r.table_name = s.table_name AND r.status = 'loaded' AND r.rows_changed_same_stamp > 0
                   AND r.run_started_at > now() - interval '24 hours') c ON c.n > 0
 WHERE s.enabled;
