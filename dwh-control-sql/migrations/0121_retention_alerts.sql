-- Retention alerts (issue 12): the area view v_retention_alerts (placeholder in 0110) for the retention workflow.
--   retention_failed   the latest run of a table in a layer (raw / exports / processed) failed: its rows or CSVs
--                      past retention are still there; detail is the run's message (errors are scrubbed of values).
--   retention_overdue  a table with a raw retention has had rows due for expiry (first load older than its
--                      retention) but no raw retention run for it has finished in 2 days: the workflow is not
--                      running (inactive, failing before it starts, or the table always busy).
-- Only counts, table names and layer names appear: dwh_readonly reads this view.

CREATE OR REPLACE VIEW dwh_control.v_retention_alerts AS
SELECT 'retention'::text AS area, 'retention_failed'::text AS alert, (r.layer || ':' || r.table_name)::text AS subject,
       coalesce(r.message, 'failed')::text AS detail, r.started_at::timestamptz AS since, r.n8n_execution_id::text AS n8n_execution_id
  FROM (SELECT DISTINCT ON (layer, table_name) layer, table_name, status, message, started_at, n8n_execution_id
          FROM dwh_control.retention_runs
         WHERE status <> 'running'
         ORDER BY layer, table_name, started_at DESC, retention_run_id DESC) r
 WHERE r.status = 'failed'
UNION ALL
SELECT 'retention', 'retention_overdue', ('raw:' || s.table_name)::text,
       ('retention ' || s.raw_retention_days || ' days; last finished raw retention run '
         || coalesce(to_char(last.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'never'))::text,
       coalesce(last.finished_at, first_load.at)::timestamptz, NULL::text
  FROM dwh_control.source_tables s
  JOIN LATERAL (SELECT min(e.run_finished_at) AS at FROM dwh_control.extract_runs e
                 WHERE e.table_name = s.table_name AND e.status = 'loaded') first_load ON true
  LEFT JOIN LATERAL (SELECT max(r.finished_at) AS finished_at FROM dwh_control.retention_runs r
                      WHERE r.layer = 'raw' AND r.table_name = s.table_name AND r.status IN ('completed', 'skipped')) last ON true
 WHERE s.enabled AND s.raw_retention_days IS NOT NULL
   AND first_load.at < now() - make_interval(days => s.raw_retention_days)
   AND coalesce(last.finished_at, '-infinity') < now() - interval '2 days';

ALTER VIEW dwh_control.v_retention_alerts OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.v_retention_alerts FROM PUBLIC;
GRANT SELECT ON dwh_control.v_retention_alerts TO dwh_readonly;

INSERT INTO dwh_control.alert_severities (alert, severity, why) VALUES
    ('retention_failed', 'P2', 'rows or CSVs past retention are kept a day longer; the next run retries'),
    ('retention_overdue', 'P2', 'raw retention has not run for two days: PII is kept past the registry''s retention')
ON CONFLICT (alert) DO NOTHING;
