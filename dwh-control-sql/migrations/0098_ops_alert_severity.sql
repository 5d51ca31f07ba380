-- v_pipeline_alerts with the severity the dwh-pipeline-alerts workflow routes on (issue 15, design §11.2): P1 pages
-- on-call, P2 opens a ticket. The same split as ops/prometheus/rules/dwh-pipeline.rules.yml:
--   P1  anonymise_blocked (the PII check stopped a build), freshness_stale (last load over 4 x cadence ago),
--       a forget request open past the 30-day SLA
--   P2  everything else (failed runs that the next run may heal, late tables, dbt / push failures, …)
CREATE OR REPLACE VIEW dwh_control.v_pipeline_alerts_by_severity AS
SELECT CASE
           WHEN a.alert IN ('anonymise_blocked', 'freshness_stale') THEN 'P1'
           WHEN a.area = 'rtbf' AND a.alert = 'rtbf_sla_at_risk' AND a.since < now() - interval '30 days' THEN 'P1'
           ELSE 'P2'
       END AS severity,
       a.area, a.alert, a.subject, a.detail, a.since, a.n8n_execution_id
  FROM dwh_control.v_pipeline_alerts a;

ALTER VIEW dwh_control.v_pipeline_alerts_by_severity OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_pipeline_alerts_by_severity FROM PUBLIC;
GRANT SELECT ON dwh_control.v_pipeline_alerts_by_severity TO dwh_readonly;
