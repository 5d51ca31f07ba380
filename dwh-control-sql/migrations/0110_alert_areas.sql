-- v_pipeline_alerts as a union of one view per area. Until now every area that added an alert redefined the whole
-- view (0052, 0071, 0096, 0100, 0101), so two changes to different areas collided and each copy repeated the others.
-- From here an area replaces only its own view (same six columns: area, alert, subject, detail, since,
-- n8n_execution_id), and its alerts' severity is a row in dwh_control.alert_severities, not a CASE branch.
-- Placeholders (no rows yet) exist for areas being built, so their migrations only CREATE OR REPLACE them:
--   v_retention_alerts  raw / archive retention sweeps (issue 12)
--   v_residue_alerts    residue left by a forget request past the erasure SLA (issue 12)
--   v_latency_alerts    source-commit-to-analytics latency over the SLA (issue 14)

CREATE OR REPLACE VIEW dwh_control.v_extract_run_alerts AS
SELECT 'extract'::text AS area, 'extract_failed'::text AS alert, f.table_name::text AS subject, f.error_message::text AS detail,
       f.run_started_at::timestamptz AS since, f.n8n_execution_id::text AS n8n_execution_id
  FROM dwh_control.v_recent_failures f
 WHERE NOT f.recovered
UNION ALL
SELECT 'extract', 'freshness_' || t.freshness_status, t.table_name,
       'last load ' || coalesce(t.last_loaded_at::text, 'never') || ', cadence ' || t.cadence::text, t.last_loaded_at, NULL
  FROM dwh_control.v_table_freshness t
 WHERE t.freshness_status IN ('late', 'stale', 'never_loaded');

CREATE OR REPLACE VIEW dwh_control.v_dbt_alerts AS
SELECT 'dbt'::text AS area, ('dbt_' || d.status)::text AS alert,
       (d.command || coalesce(' ' || nullif(array_to_string(d.selection, ' '), ''), ''))::text AS subject,
       d.error_message::text AS detail, d.started_at::timestamptz AS since, d.n8n_execution_id::text AS n8n_execution_id
  FROM dwh_control.v_dbt_recent_failures d
 WHERE NOT d.recovered;

CREATE OR REPLACE VIEW dwh_control.v_anonymise_alerts AS
SELECT 'anonymise'::text AS area, ('anonymise_' || a.status)::text AS alert, a.output_relation::text AS subject,
       coalesce(a.error_message, 'PII check: ' || a.pii_findings::text)::text AS detail,
       a.run_started_at::timestamptz AS since, a.n8n_execution_id::text AS n8n_execution_id
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
 WHERE w.last_loaded_at > l.run_started_at + interval '1 hour';

CREATE OR REPLACE VIEW dwh_control.v_pushback_alerts AS
SELECT 'pushback'::text AS area, 'push_failed'::text AS alert, p.target_name::text AS subject, p.error_message::text AS detail,
       p.run_started_at::timestamptz AS since, p.n8n_execution_id::text AS n8n_execution_id
  FROM (SELECT DISTINCT ON (target_name) target_name, status, error_message, run_started_at, n8n_execution_id
          FROM dwh_control.push_runs
         WHERE status IN ('pushed', 'failed')
         ORDER BY target_name, run_started_at DESC, push_run_id DESC) p
 WHERE p.status = 'failed';

CREATE OR REPLACE VIEW dwh_control.v_rtbf_alerts AS
SELECT 'rtbf'::text AS area,
       (CASE WHEN r.status IN ('partial', 'failed') THEN 'rtbf_' || r.status ELSE 'rtbf_sla_at_risk' END)::text AS alert,
       ('request ' || r.request_id)::text AS subject,
       (coalesce(r.error_message || ' ', '') || '(' || s.days_open || ' days open'
         || CASE WHEN s.sla_breached THEN ', SLA breached' ELSE '' END || ')')::text AS detail,
       r.requested_at::timestamptz AS since, r.n8n_execution_id::text AS n8n_execution_id
  FROM dwh_control.rtbf_requests r
  JOIN dwh_control.rtbf_sla s USING (request_id)
 WHERE r.status <> 'completed'
   AND (r.status IN ('partial', 'failed') OR s.days_open > 25)
   AND NOT EXISTS (SELECT 1 FROM dwh_control.rtbf_requests later
                    WHERE later.subject_hmac = r.subject_hmac AND later.request_id > r.request_id AND later.status = 'completed');

CREATE OR REPLACE VIEW dwh_control.v_retention_alerts AS
SELECT NULL::text AS area, NULL::text AS alert, NULL::text AS subject, NULL::text AS detail,
       NULL::timestamptz AS since, NULL::text AS n8n_execution_id
 WHERE false;

CREATE OR REPLACE VIEW dwh_control.v_residue_alerts AS
SELECT NULL::text AS area, NULL::text AS alert, NULL::text AS subject, NULL::text AS detail,
       NULL::timestamptz AS since, NULL::text AS n8n_execution_id
 WHERE false;

CREATE OR REPLACE VIEW dwh_control.v_latency_alerts AS
SELECT NULL::text AS area, NULL::text AS alert, NULL::text AS subject, NULL::text AS detail,
       NULL::timestamptz AS since, NULL::text AS n8n_execution_id
 WHERE false;

CREATE OR REPLACE VIEW dwh_control.v_pipeline_alerts AS
          SELECT * FROM dwh_control.v_extract_run_alerts
UNION ALL SELECT * FROM dwh_control.v_dbt_alerts
UNION ALL SELECT * FROM dwh_control.v_anonymise_alerts
UNION ALL SELECT * FROM dwh_control.v_pushback_alerts
UNION ALL SELECT * FROM dwh_control.v_rtbf_alerts
UNION ALL SELECT * FROM dwh_control.v_extract_alerts
UNION ALL SELECT * FROM dwh_control.v_reconcile_alerts
UNION ALL SELECT * FROM dwh_control.v_retention_alerts
UNION ALL SELECT * FROM dwh_control.v_residue_alerts
UNION ALL SELECT * FROM dwh_control.v_latency_alerts;

-- Severity per alert name (design §11.2: P1 pages on-call, P2 opens a ticket). An alert with no row is P2.
CREATE TABLE IF NOT EXISTS dwh_control.alert_severities (
    alert     text PRIMARY KEY,
    severity  text NOT NULL CHECK (severity IN ('P1', 'P2')),
    why       text NOT NULL
);
INSERT INTO dwh_control.alert_severities (alert, severity, why) VALUES
    ('anonymise_blocked', 'P1', 'the PII check stopped a build: data is not flowing and PII may be in bronze columns marked kept'),
    ('freshness_stale', 'P1', 'last load over 4 x cadence ago')
ON CONFLICT (alert) DO NOTHING;

CREATE OR REPLACE VIEW dwh_control.v_pipeline_alerts_by_severity AS
SELECT CASE
           WHEN a.area = 'rtbf' AND a.alert = 'rtbf_sla_at_risk' AND a.since < now() - interval '30 days' THEN 'P1'
           ELSE coalesce(s.severity, 'P2')
       END AS severity,
       a.area, a.alert, a.subject, a.detail, a.since, a.n8n_execution_id
  FROM dwh_control.v_pipeline_alerts a
  LEFT JOIN dwh_control.alert_severities s ON s.alert = a.alert;

ALTER TABLE dwh_control.alert_severities OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.alert_severities FROM PUBLIC;
GRANT SELECT ON dwh_control.alert_severities TO dwh_readonly;
DO $$
DECLARE v text;
BEGIN
    FOREACH v IN ARRAY ARRAY['v_extract_run_alerts', 'v_dbt_alerts', 'v_anonymise_alerts', 'v_pushback_alerts', 'v_rtbf_alerts',
                             'v_retention_alerts', 'v_residue_alerts', 'v_latency_alerts', 'v_pipeline_alerts',
                             'v_pipeline_alerts_by_severity'] LOOP
        EXECUTE format('ALTER VIEW dwh_control.%I OWNER TO dwh_owner', v);
        EXECUTE format('REVOKE ALL ON dwh_control.%I FROM PUBLIC', v);
        EXECUTE format('GRANT SELECT ON dwh_control.%I TO dwh_readonly', v);
    END LOOP;
END $$;
