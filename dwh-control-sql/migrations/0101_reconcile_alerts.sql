-- Reconcile results raise alerts (issue 17). v_reconcile_alerts has v_pipeline_alerts' columns; v_pipeline_alerts now
-- includes it, so later reconcile alerts only replace v_reconcile_alerts.
--   reconcile_differences  the latest reconcile of an enabled table left differences unresolved (reported only, a
--                          repair that did not take, or more differing keys than a repair by key handles). detail has
--                          counts only; the keys are in reconcile_findings, which dwh_readonly cannot read.
--                          Heals when a later reconcile matches or repairs everything.
--   reconcile_failed       the latest reconcile of an enabled table failed (error text as stored: no row values).
CREATE OR REPLACE VIEW dwh_control.v_reconcile_alerts AS
SELECT 'reconcile'::text AS area,
       CASE WHEN r.status = 'failed' THEN 'reconcile_failed' ELSE 'reconcile_differences' END::text AS alert,
       r.table_name AS subject,
       CASE WHEN r.status = 'failed' THEN r.error_message
            ELSE r.unresolved || ' unresolved difference(s) in rows stamped up to ' || r.compared_up_to || ': '
                 || r.missing_in_bronze || ' missing in bronze, ' || r.extra_in_bronze || ' deleted at the source, '
                 || r.stale_in_bronze || ' stale in bronze'
                 || CASE WHEN r.findings_truncated THEN ' (stopped early: too many to repair by key, reseed the table)' ELSE '' END
                 || '; keys in dwh_control.reconcile_findings, reconcile_run_id ' || r.reconcile_run_id END AS detail,
       r.run_started_at AS since, r.n8n_execution_id
  FROM (SELECT DISTINCT ON (table_name) *
          FROM dwh_control.reconcile_runs
         WHERE status <> 'running'
         ORDER BY table_name, run_started_at DESC, reconcile_run_id DESC) r
  JOIN dwh_control.source_tables s ON s.table_name = r.table_name AND s.enabled
 WHERE r.status = 'failed' OR (r.status = 'differences' AND r.unresolved > 0);

ALTER VIEW dwh_control.v_reconcile_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_reconcile_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_reconcile_alerts TO dwh_readonly;

-- v_pipeline_alerts as of 0071 (its latest definition), plus v_reconcile_alerts.
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
SELECT * FROM dwh_control.v_extract_alerts
UNION ALL
SELECT * FROM dwh_control.v_reconcile_alerts;

ALTER VIEW dwh_control.v_pipeline_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_pipeline_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_pipeline_alerts TO dwh_readonly;
