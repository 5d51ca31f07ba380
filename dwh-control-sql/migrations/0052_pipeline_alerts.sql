-- One place to page from: every open problem of every stage, one row each, for the dwh-pipeline-alerts workflow
-- and dashboards. A problem stays listed until the stage itself shows it healed (a later load, a later successful
-- dbt run, a later published anonymise build, a later push, a completed forget), so an alert never needs acking.
--   extract    failed runs of the last 24 h not followed by a load; enabled tables late, stale or never loaded
--   dbt        failed / errored / abandoned runs of the last 7 days not recovered (v_dbt_recent_failures)
--   anonymise  outputs whose latest set-mode or rotation build failed or was blocked by the PII check, and tables
--              once anonymised whose bronze has been loaded more than an hour after their last published build
--              (the anonymise schedule stopped: no failure to show, only stale intermediate data)
--   pushback   targets whose latest push (skips aside) failed
--   rtbf       forget requests still partial or failed with no later completed request for the same person, and
--              open requests within 5 days of the 30-day SLA
-- `detail` carries error text as the run logs stored it: never row values (those logs withhold them).
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
                    WHERE later.subject_hmac = r.subject_hmac AND later.request_id > r.request_id AND later.status = 'completed');

ALTER VIEW dwh_control.v_pipeline_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_pipeline_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_pipeline_alerts TO dwh_readonly;
