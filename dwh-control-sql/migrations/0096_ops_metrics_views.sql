-- Prometheus metrics from what dwh_control records (issue 15, design §11.2): one view per query of
-- ops/postgres_exporter/queries.yaml, which reads them as the read-only role (dwh_readonly). The views are the
-- contract: text columns become labels, numeric columns become samples (NULL = NaN, "no value"). Labels carry only
-- names the registry, policies and dbt project define (tables, relations, targets, dbt nodes, statuses): never row
-- values, error text or people. *_total columns are counters over the whole run log (runs are never deleted); the
-- exporter caches them (cache_seconds) so a two-million-run log is summed once a minute at most.

-- Extract / load, one row per registered table. Flags are 0/1; ages in seconds, NULL when there is nothing to measure.
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
       (s.enabled AND now() - w.last_loaded_at > 2 * s.cadence)::int::float8         AS late,
       (s.enabled AND now() - w.last_loaded_at > 4 * s.cadence)::int::float8         AS stale,
       (s.enabled AND now() - f.run_started_at > 2 * s.cadence)::int::float8         AS stuck,
       extract(epoch FROM now() - f.run_started_at)::float8                          AS in_flight_seconds,
       (h.subject IS NOT NULL)::int::float8                                          AS watermark_held_back,
       (SELECT count(*) FROM dwh_control.v_recent_failures rf
         WHERE rf.table_name = s.table_name AND NOT rf.recovered)::float8             AS unrecovered_failures,
       w.rows_loaded_last_run::float8                                                AS last_load_rows,
       l.csv_bytes::float8                                                           AS last_load_bytes,
       extract(epoch FROM l.extracted_at - l.run_started_at)::float8                 AS last_load_extract_seconds,
       extract(epoch FROM l.run_finished_at - coalesce(l.load_started_at, l.extracted_at))::float8
                                                                                     AS last_load_load_seconds
  FROM dwh_control.source_tables s
  LEFT JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN dwh_control.extract_runs l ON l.run_id = w.last_run_id
  LEFT JOIN dwh_control.extract_runs f
         ON f.table_name = s.table_name AND f.status IN ('extracting', 'uploaded', 'loading')
  LEFT JOIN dwh_control.v_extract_alerts h ON h.subject = s.table_name AND h.alert = 'watermark_held_back'
  LEFT JOIN LATERAL (SELECT r.run_started_at FROM dwh_control.extract_runs r
                      WHERE r.table_name = s.table_name ORDER BY r.run_started_at DESC LIMIT 1) lr ON true;

-- Counters per table and run status: runs, rows and bytes (rows_extracted / csv_bytes of each run), time spent.
CREATE OR REPLACE VIEW dwh_control.metrics_extract AS
SELECT r.table_name,
       r.status,
       count(*)::float8                                                               AS runs_total,
       coalesce(sum(r.rows_extracted), 0)::float8                                     AS rows_total,
       coalesce(sum(r.rows_inserted), 0)::float8                                      AS rows_inserted_total,
       coalesce(sum(r.rows_updated), 0)::float8                                       AS rows_updated_total,
       coalesce(sum(r.csv_bytes), 0)::float8                                          AS bytes_total,
       coalesce(sum(extract(epoch FROM r.extracted_at - r.run_started_at)), 0)::float8 AS extract_seconds_total,
       coalesce(sum(extract(epoch FROM r.run_finished_at - coalesce(r.load_started_at, r.extracted_at))), 0)::float8
                                                                                      AS load_seconds_total
  FROM dwh_control.extract_runs r
 WHERE r.status IN ('loaded', 'failed', 'skipped')
 GROUP BY r.table_name, r.status;

-- Anonymise, one row per output relation, from its latest build (set, rotation, incremental; item mode is no build).
CREATE OR REPLACE VIEW dwh_control.metrics_anonymise_output AS
SELECT b.output_relation,
       b.source_db,
       (b.status = 'blocked')::int::float8                                            AS blocked,
       (b.status = 'failed')::int::float8                                             AS failed,
       CASE WHEN jsonb_typeof(b.pii_findings) = 'array' THEN jsonb_array_length(b.pii_findings) ELSE 0 END::float8
                                                                                      AS pii_findings,
       extract(epoch FROM now() - p.run_started_at)::float8                           AS last_published_age_seconds,
       (EXISTS (SELECT 1 FROM dwh_control.v_pipeline_alerts a
                 WHERE a.alert = 'anonymise_stale' AND a.subject = b.output_relation))::int::float8 AS stale,
       b.rows_out::float8                                                             AS last_rows_out,
       extract(epoch FROM b.run_finished_at - b.run_started_at)::float8               AS last_duration_seconds
  FROM (SELECT DISTINCT ON (output_relation) *
          FROM dwh_control.anonymise_runs
         WHERE mode IN ('set', 'rotation', 'incremental') AND status <> 'running'
         ORDER BY output_relation, run_started_at DESC, run_id DESC) b
  LEFT JOIN LATERAL (SELECT run_started_at FROM dwh_control.anonymise_runs p
                      WHERE p.output_relation = b.output_relation AND p.status = 'published'
                        AND p.mode IN ('set', 'rotation', 'incremental')
                      ORDER BY run_started_at DESC LIMIT 1) p ON true;

CREATE OR REPLACE VIEW dwh_control.metrics_anonymise AS
SELECT source_db, mode, status,
       count(*)::float8                         AS runs_total,
       coalesce(sum(rows_out), 0)::float8       AS rows_out_total
  FROM dwh_control.anonymise_runs
 WHERE status <> 'running'
 GROUP BY source_db, mode, status;

-- Push-back, one row per target, from its latest push (skips aside) and latest successful push.
CREATE OR REPLACE VIEW dwh_control.metrics_push_target AS
SELECT t.target_name,
       (t.status = 'failed')::int::float8                                              AS failed,
       extract(epoch FROM now() - p.run_started_at)::float8                            AS last_pushed_age_seconds,
       (coalesce(p.rows_inserted, 0) + coalesce(p.rows_updated, 0) + coalesce(p.rows_deleted, 0))::float8
                                                                                       AS last_rows_written,
       p.rows_suppressed::float8                                                       AS last_rows_suppressed
  FROM (SELECT DISTINCT ON (target_name) target_name, status
          FROM dwh_control.push_runs
         WHERE status IN ('pushed', 'failed')
         ORDER BY target_name, run_started_at DESC, push_run_id DESC) t
  LEFT JOIN LATERAL (SELECT * FROM dwh_control.push_runs p
                      WHERE p.target_name = t.target_name AND p.status = 'pushed'
                      ORDER BY run_started_at DESC, push_run_id DESC LIMIT 1) p ON true;

CREATE OR REPLACE VIEW dwh_control.metrics_push AS
SELECT target_name, status,
       count(*)::float8                                  AS runs_total,
       coalesce(sum(rows_inserted), 0)::float8           AS rows_inserted_total,
       coalesce(sum(rows_updated), 0)::float8            AS rows_updated_total,
       coalesce(sum(rows_deleted), 0)::float8            AS rows_deleted_total,
       coalesce(sum(rows_suppressed), 0)::float8         AS rows_suppressed_total
  FROM dwh_control.push_runs
 WHERE status <> 'running'
 GROUP BY target_name, status;

-- dbt, one row per project and command (build, run, test, source freshness, …).
CREATE OR REPLACE VIEW dwh_control.metrics_dbt_command AS
SELECT c.project,
       c.command,
       extract(epoch FROM now() - c.last_started)::float8                              AS last_run_age_seconds,
       extract(epoch FROM now() - c.last_success)::float8                              AS last_success_age_seconds,
       (l.status IN ('failed', 'error'))::int::float8                                  AS last_failed,
       l.elapsed_s::float8                                                             AS last_elapsed_seconds,
       (SELECT count(*) FROM dwh_control.v_dbt_recent_failures f
         WHERE f.project = c.project AND f.command = c.command AND NOT f.recovered)::float8 AS unrecovered_failures
  FROM (SELECT project, command, max(started_at) AS last_started,
               max(started_at) FILTER (WHERE status = 'success') AS last_success
          FROM dwh_control.dbt_runs GROUP BY project, command) c
  LEFT JOIN LATERAL (SELECT status, elapsed_s FROM dwh_control.dbt_runs r
                      WHERE r.project = c.project AND r.command = c.command AND r.status <> 'running'
                      ORDER BY started_at DESC LIMIT 1) l ON true;

CREATE OR REPLACE VIEW dwh_control.metrics_dbt AS
SELECT project, command, status,
       count(*)::float8                          AS runs_total,
       coalesce(sum(elapsed_s), 0)::float8       AS elapsed_seconds_total
  FROM dwh_control.dbt_runs
 WHERE status <> 'running'
 GROUP BY project, command, status;

-- dbt, one row per node (model, test, source freshness check, seed) from its latest result. test_kind names the
-- checks §11.2 alerts on: k_anonymity and pii_absent tests (by the generic test's name, or the project's
-- <model>_k_fail_below_N / _k_warn_below_N names), source freshness. revenue_critical: ledger / sdpkt / bidbaas
-- (design §11.2). Statuses are 0/1 flags so a rule can say "failing" without matching dbt's status words.
CREATE OR REPLACE VIEW dwh_control.metrics_dbt_node AS
SELECT r.project,
       n.resource_type,
       n.name,
       CASE WHEN n.resource_type = 'source' THEN 'freshness'
            WHEN n.resource_type = 'test' AND n.name ~ '(^|_)k_anonymity_|_k_(fail|warn)_below_' THEN 'k_anonymity'
            WHEN n.resource_type = 'test' AND n.name ~ 'pii_absent' THEN 'pii_absent'
            WHEN n.resource_type = 'test' THEN 'other'
            ELSE '' END                                                                AS test_kind,
       (n.name ~ '(^|[^a-z])(ledger|sdpkt|bidbaas)')::text                             AS revenue_critical,
       (n.status IN ('success', 'pass'))::int::float8                                   AS passed,
       (n.status = 'warn')::int::float8                                                 AS warned,
       (n.status IN ('error', 'fail', 'runtime error'))::int::float8                    AS failed,
       (n.status = 'skipped')::int::float8                                              AS skipped,
       n.execution_time_s::float8                                                       AS execution_seconds,
       n.failures::float8                                                               AS failures,
       n.freshness_age_s::float8                                                        AS freshness_age_seconds,
       extract(epoch FROM now() - coalesce(n.completed_at, r.finished_at))::float8      AS last_result_age_seconds
  FROM (SELECT DISTINCT ON (r.project, n.unique_id) n.*, r.project
          FROM dwh_control.dbt_node_results n
          JOIN dwh_control.dbt_runs r USING (run_id)
         ORDER BY r.project, n.unique_id, r.started_at DESC, n.completed_at DESC NULLS LAST) n
  JOIN dwh_control.dbt_runs r USING (run_id);

CREATE OR REPLACE VIEW dwh_control.metrics_dbt_node_results AS
SELECT r.project, n.resource_type, n.status, count(*)::float8 AS total
  FROM dwh_control.dbt_node_results n
  JOIN dwh_control.dbt_runs r USING (run_id)
 GROUP BY r.project, n.resource_type, n.status;

-- Right-to-be-forgotten (design §6.8: 30-day SLA). One row.
CREATE OR REPLACE VIEW dwh_control.metrics_rtbf AS
SELECT count(*) FILTER (WHERE r.status <> 'completed')::float8                         AS open_requests,
       coalesce(max(s.days_open) FILTER (WHERE r.status <> 'completed'), 0)::float8    AS oldest_open_days,
       count(*) FILTER (WHERE r.status <> 'completed' AND s.days_open > 25)::float8    AS at_risk,
       count(*) FILTER (WHERE r.status <> 'completed' AND s.sla_breached)::float8      AS breached_open,
       count(*) FILTER (WHERE r.status = 'completed' AND s.sla_breached)::float8       AS completed_late_total,
       count(*) FILTER (WHERE r.status = 'completed')::float8                          AS completed_total,
       (SELECT count(*) FROM dwh_control.v_pipeline_alerts a WHERE a.alert IN ('rtbf_partial', 'rtbf_failed'))::float8
                                                                                       AS unresolved_failures
  FROM dwh_control.rtbf_requests r
  JOIN dwh_control.rtbf_sla s USING (request_id);

-- Every open problem of v_pipeline_alerts, counted per area and alert (subjects and details stay in the view).
CREATE OR REPLACE VIEW dwh_control.metrics_pipeline_alerts AS
SELECT area, alert, count(*)::float8 AS open
  FROM dwh_control.v_pipeline_alerts
 GROUP BY area, alert;

DO $$
DECLARE
    v text;
BEGIN
    FOREACH v IN ARRAY ARRAY['metrics_extract_table', 'metrics_extract', 'metrics_anonymise_output', 'metrics_anonymise',
        'metrics_push_target', 'metrics_push', 'metrics_dbt_command', 'metrics_dbt', 'metrics_dbt_node',
        'metrics_dbt_node_results', 'metrics_rtbf', 'metrics_pipeline_alerts'] LOOP
        EXECUTE format('ALTER VIEW dwh_control.%I OWNER TO dwh_owner', v);
        EXECUTE format('REVOKE ALL ON dwh_control.%I FROM PUBLIC', v);
        EXECUTE format('GRANT SELECT ON dwh_control.%I TO dwh_readonly', v);
    END LOOP;
END
$$;
