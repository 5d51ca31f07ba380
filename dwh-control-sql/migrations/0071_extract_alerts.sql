-- Extract problems that never fail a run, so neither v_recent_failures nor freshness shows them, get their own view,
-- v_extract_alerts (same columns as v_pipeline_alerts, which now includes it; later extract alerts only replace
-- v_extract_alerts):
--   watermark_held_back  loads keep committing but the watermark stays more than 4 x cadence (+ safety_lag) behind:
--                        a transaction left open (idle in transaction), a prepared transaction never committed or
--                        rolled back, or a standby that stopped replaying holds every window of the source database.
--                        detail names the bound that held the last loaded run (upper_capped_by).
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
   AND now() - w.last_extracted_at > 4 * s.cadence + s.safety_lag;

ALTER VIEW dwh_control.v_extract_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_extract_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_extract_alerts TO dwh_readonly;

-- v_pipeline_alerts as of 0052, plus v_extract_alerts.
CREATE OR REPLACE VIEW dwh_control.v_pipeline_alerts AS
SELECT 'extract'::text AS area, 'extract_failed'::text AS alert, f.table_name AS subject, f.error_message AS detail,
       f.run_started_at AS since, f.n8n_execution_id
  FROM dwh_control.v_recent_failures f
 WHERE NOT f.recovered
UNION ALL
SELECT 'extract', 'freshness_' || t.freshness_status, t.table_name,
       'last load ' || coalesce(t.last_loaded_at::text, 'never') || ', cadence ' || t.cadence::text, t.last_loaded_at, NULL
  FROM dwh_control.v_table_freshness t
 WHERE t.freshness_status IN ('late', 'stale', 'never_loaded')
UNION ALL
SELECT 'dbt', 'dbt_' || d.status, d.command || coalesce(' ' || nullif(array_to_string(d.selection, ' '), ''), ''),
       d.error_message, d.started_at, d.n8n_execution_id
  FROM dwh_control.v_dbt_recent_failures d
 WHERE NOT d.recovered
UNION ALL
SELECT 'anonymise', 'anonymise_' || a.status, a.output_relation, coalesce(a.error_message, 'PII check: ' || a.pii_findings::text),
       a.run_started_at, a.n8n_execution_id
  FROM (SELECT DISTINCT ON (output_relation) output_relation, status, error_message, pii_findings, run_started_at, n8n_execution_id
          FROM dwh_control.anonymise_runs
         WHERE mode IN ('set', 'rotation', 'incremental') AND status <> 'running'
         ORDER BY output_relation, run_started_at DESC, run_id DESC) a
 WHERE a.status IN ('failed', 'blocked')
UNION ALL
SELECT 'anonymise', 'anonymise_stale', l.output_relation,
       'bronze ' || l.input_relation || ' loaded at ' || w.last_loaded_at || ', last published build ' || l.run_started_at,
       l.run_started_at, l.n8n_execution_id
  FROM (SELECT DISTINCT ON (input_relation) input_relation, output_relation, run_started_at, n8n_execution_id
          FROM dwh_control.anonymise_runs
         WHERE mode IN ('set', 'rotation', 'incremental') AND status = 'published'
         ORDER BY input_relation, run_started_at DESC, run_id DESC) l
  JOIN dwh_control.extract_watermarks w ON 'raw.' || w.table_name = l.input_relation
  JOIN dwh_control.source_tables s ON s.table_name = w.table_name AND s.enabled
 WHERE w.last_loaded_at > l.run_started_at + interval '1 hour'
UNION ALL
SELECT 'pushback', 'push_failed', p.target_name, p.error_message, p.run_started_at, p.n8n_execution_id
  FROM (SELECT DISTINCT ON (target_name) target_name, status, error_message, run_started_at, n8n_execution_id
          FROM dwh_control.push_runs
         WHERE status IN ('pushed', 'failed')
         ORDER BY target_name, run_started_at DESC, push_run_id DESC) p
 WHERE p.status = 'failed'
UNION ALL
SELECT 'rtbf',
       CASE WHEN r.status IN ('partial', 'failed') THEN 'rtbf_' || r.status ELSE 'rtbf_sla_at_risk' END,
       'request ' || r.request_id,
       coalesce(r.error_message || ' ', '') || '(' || s.days_open || ' days open' || CASE WHEN s.sla_breached THEN ', SLA breached' ELSE '' END || ')',
       r.requested_at, r.n8n_execution_id
  FROM dwh_control.rtbf_requests r
  JOIN dwh_control.rtbf_sla s USING (request_id)
 WHERE r.status <> 'completed'
   AND (r.status IN ('partial', 'failed') OR s.days_open > 25)
   AND NOT EXISTS (SELECT 1 FROM dwh_control.rtbf_requests later
                    WHERE later.subject_hmac = r.subject_hmac AND later.request_id > r.request_id AND later.status = 'completed')
UNION ALL
SELECT * FROM dwh_control.v_extract_alerts;

ALTER VIEW dwh_control.v_pipeline_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_pipeline_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_pipeline_alerts TO dwh_readonly;
