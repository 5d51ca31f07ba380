-- Issue 14: the chain (load → anonymise → enrich → dbt → push) and its measured source-to-analytics latency.
--
-- What the chain builds next is read from the run logs, not passed along between nodes, so a stage that failed or
-- ran in another execution is picked up by the next tick (docs/chain.md):
--   v_chain_dbt_pending   registered tables whose anonymised rows changed after the last successful dbt build that
--                         covered them, with the dbt selector `source:<source_db>.<source_table>+`.
--
-- Freshness is recorded per push run, when it finishes, by a trigger on push_runs (no stage has to remember to write
-- it): a push made in the same n8n execution as a successful dbt build (the chain) records in push_freshness up to
-- when every source row is in what it pushed (source_through) and after when every row it delivered for the first
-- time was committed (oldest_commit_after). pushed_at − oldest_commit_after bounds the latency of every such row.

CREATE TABLE IF NOT EXISTS dwh_control.pipeline_settings (
    name   text PRIMARY KEY,
    value  text NOT NULL,
    why    text NOT NULL
);
INSERT INTO dwh_control.pipeline_settings (name, value, why) VALUES
    ('latency_sla', '1 hour', 'design §10.2 / issue 14: a source commit reaches analytics_db within the hour (v_latency_alerts)')
ON CONFLICT (name) DO NOTHING;

-- The SLA as an interval; a value that is not an interval fails loudly here rather than silencing the alert.
CREATE OR REPLACE FUNCTION dwh_control.latency_sla() RETURNS interval
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT value::interval FROM dwh_control.pipeline_settings WHERE name = 'latency_sla'), interval '1 hour')
$$;

CREATE TABLE IF NOT EXISTS dwh_control.push_freshness (
    push_run_id          bigint PRIMARY KEY REFERENCES dwh_control.push_runs (push_run_id) ON DELETE CASCADE,
    target_name          text NOT NULL,
    pushed_at            timestamptz NOT NULL,
    dbt_run_id           text NOT NULL,        -- the build of the same execution whose marts the push read
    source_through       timestamptz NOT NULL, -- every source row committed by then is in what the push wrote
    through_table        text NOT NULL,        -- the registered table that bounds source_through (slowest cadence)
    oldest_commit_after  timestamptz,          -- every row delivered for the first time was committed after this; NULL: none
    through_by_table     jsonb NOT NULL,       -- {table_name: window upper bound included}
    n8n_execution_id     text
);
CREATE INDEX IF NOT EXISTS push_freshness_target ON dwh_control.push_freshness (target_name, pushed_at DESC);
CREATE INDEX IF NOT EXISTS push_freshness_pushed ON dwh_control.push_freshness (pushed_at);

-- For a table, which loaded runs are in a mart built by a dbt run that started at `dbt_started`: those in the newest
-- anonymise build of the table published before it. A run that changed rows is in the build when its id is at most
-- the build's input_watermark (the highest _dwh_run_id it read); a run that changed nothing, or one older builds
-- did not number, counts when it finished before the build started.
CREATE OR REPLACE FUNCTION dwh_control.record_push_freshness() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    d        record;
    prev     jsonb;
    through  jsonb;
    st       timestamptz;
    st_table text;
    oldest   timestamptz;
BEGIN
    IF NEW.n8n_execution_id IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT r.run_id, r.started_at INTO d
      FROM dwh_control.dbt_runs r
     WHERE r.n8n_execution_id = NEW.n8n_execution_id AND r.status = 'success' AND r.command IN ('build', 'run')
       AND r.finished_at <= NEW.run_started_at
     ORDER BY r.started_at DESC
     LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL;  -- not a chain push (the hourly push, a manual one): nothing to measure from
    END IF;
    SELECT f.through_by_table INTO prev
      FROM dwh_control.push_freshness f
     WHERE f.target_name = NEW.target_name
     ORDER BY f.pushed_at DESC, f.push_run_id DESC
     LIMIT 1;

    WITH builds AS (
        SELECT DISTINCT ON (a.input_relation) a.input_relation, a.run_started_at, a.input_watermark
          FROM dwh_control.anonymise_runs a
         WHERE a.status = 'published' AND a.mode IN ('set', 'rotation', 'incremental') AND a.run_started_at < d.started_at
         ORDER BY a.input_relation, a.run_started_at DESC, a.run_id DESC
    ), t AS (
        SELECT s.table_name, b.run_started_at AS built_from, b.input_watermark,
               coalesce((prev ->> s.table_name)::timestamptz, '-infinity') AS delivered_through
          FROM dwh_control.source_tables s
          JOIN builds b ON b.input_relation = 'raw.' || s.table_name
         WHERE s.enabled
    ), runs AS (
        SELECT r.table_name, r.run_id, r.window_upper, r.run_finished_at,
               lag(r.window_upper) OVER (PARTITION BY r.table_name ORDER BY r.run_id) AS prev_upper,
               coalesce(r.rows_inserted, 0) + coalesce(r.rows_updated, 0) > 0 AS changed,
               t.built_from, t.input_watermark, t.delivered_through
          FROM dwh_control.extract_runs r
          JOIN t ON t.table_name = r.table_name
         WHERE r.status = 'loaded' AND r.mode <> 'repair' AND r.window_upper IS NOT NULL
           AND r.window_upper >= t.delivered_through
    ), included AS (
        SELECT * FROM runs
         WHERE CASE WHEN changed AND input_watermark IS NOT NULL THEN run_id <= input_watermark
                    ELSE run_finished_at < built_from END
    ), per_table AS (
        SELECT table_name, max(window_upper) AS upto FROM included GROUP BY table_name
    )
    SELECT (SELECT jsonb_object_agg(table_name, upto) FROM per_table),
           (SELECT upto FROM per_table ORDER BY upto, table_name LIMIT 1),
           (SELECT table_name FROM per_table ORDER BY upto, table_name LIMIT 1),
           (SELECT min(prev_upper) FROM included
             WHERE changed AND window_upper > delivered_through AND prev_upper > '-infinity')
      INTO through, st, st_table, oldest;

    IF st IS NULL THEN
        RETURN NULL;  -- no anonymised source yet
    END IF;
    INSERT INTO dwh_control.push_freshness (push_run_id, target_name, pushed_at, dbt_run_id, source_through, through_table,
                                            oldest_commit_after, through_by_table, n8n_execution_id)
    VALUES (NEW.push_run_id, NEW.target_name, coalesce(NEW.run_finished_at, clock_timestamp()), d.run_id, st, st_table,
            oldest, through, NEW.n8n_execution_id)
    ON CONFLICT (push_run_id) DO NOTHING;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS push_runs_freshness ON dwh_control.push_runs;
CREATE TRIGGER push_runs_freshness
    AFTER UPDATE OF status ON dwh_control.push_runs
    FOR EACH ROW WHEN (OLD.status = 'running' AND NEW.status = 'pushed')
    EXECUTE FUNCTION dwh_control.record_push_freshness();

-- Every push the chain made, with its latency: `latency` is the longest any row it delivered first can have waited
-- since its commit (an upper bound: the row was committed after oldest_commit_after); `data_lag` how old the newest
-- guaranteed state was when it landed.
CREATE OR REPLACE VIEW dwh_control.v_source_to_analytics_latency AS
SELECT f.push_run_id, f.target_name, f.pushed_at, f.source_through, f.through_table, f.oldest_commit_after,
       f.pushed_at - f.oldest_commit_after AS latency,
       f.pushed_at - f.source_through      AS data_lag,
       dwh_control.latency_sla()           AS sla,
       coalesce(f.pushed_at - f.oldest_commit_after > dwh_control.latency_sla(), false) AS over_sla,
       f.dbt_run_id, f.n8n_execution_id
  FROM dwh_control.push_freshness f;

-- p50 / p95 / max over the last 24 hours, per target and over all (target_name NULL).
CREATE OR REPLACE VIEW dwh_control.v_latency_summary AS
SELECT l.target_name,
       count(*)::int AS pushes,
       count(l.latency)::int AS pushes_with_new_rows,
       make_interval(secs => percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.latency))) AS latency_p50,
       make_interval(secs => percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM l.latency))) AS latency_p95,
       max(l.latency) AS latency_max,
       max(l.pushed_at) AS last_pushed_at,
       dwh_control.latency_sla() AS sla
  FROM dwh_control.v_source_to_analytics_latency l
 WHERE l.pushed_at > now() - interval '24 hours'
 GROUP BY GROUPING SETS ((l.target_name), ());

CREATE OR REPLACE VIEW dwh_control.v_latency_alerts AS
SELECT 'latency'::text AS area, 'latency_over_sla'::text AS alert, l.target_name::text AS subject,
       ('source rows waited up to ' || date_trunc('second', l.latency)::text || ' to reach analytics_db (SLA '
        || l.sla::text || '); slowest source ' || l.through_table)::text AS detail,
       l.pushed_at::timestamptz AS since, l.n8n_execution_id::text AS n8n_execution_id
  FROM (SELECT DISTINCT ON (target_name) *
          FROM dwh_control.v_source_to_analytics_latency
         WHERE latency IS NOT NULL
         ORDER BY target_name, pushed_at DESC, push_run_id DESC) l
 WHERE l.over_sla;

INSERT INTO dwh_control.alert_severities (alert, severity, why) VALUES
    ('latency_over_sla', 'P2', 'the last chain push of a target delivered rows later than the latency SLA (pipeline_settings.latency_sla): data flows, but late')
ON CONFLICT (alert) DO NOTHING;

-- What the chain's dbt stage builds: tables whose anonymised rows changed (a published build that wrote rows) after
-- the start of the last successful dbt build or run that selected them (or selected everything).
CREATE OR REPLACE VIEW dwh_control.v_chain_dbt_pending AS
SELECT s.table_name, s.source_db, s.source_table,
       ('source:' || s.source_db || '.' || s.source_table || '+')::text AS dbt_selector,
       a.changed_at
  FROM dwh_control.source_tables s
  JOIN LATERAL (SELECT max(r.run_finished_at) AS changed_at
                  FROM dwh_control.anonymise_runs r
                 WHERE r.input_relation = 'raw.' || s.table_name AND r.status = 'published'
                   AND r.mode IN ('set', 'rotation', 'incremental') AND coalesce(r.rows_out, 1) > 0) a ON true
 WHERE s.enabled AND a.changed_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM dwh_control.dbt_runs d
                    WHERE d.status = 'success' AND d.command IN ('build', 'run') AND d.started_at > a.changed_at
                      AND (d.selection = '{}' OR ('source:' || s.source_db || '.' || s.source_table || '+') = ANY (d.selection)));

CREATE INDEX IF NOT EXISTS anonymise_runs_input_published ON dwh_control.anonymise_runs (input_relation, run_started_at DESC)
    WHERE status = 'published';

ALTER TABLE dwh_control.pipeline_settings OWNER TO dwh_owner;
ALTER TABLE dwh_control.push_freshness OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.latency_sla() OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.record_push_freshness() OWNER TO dwh_owner;
REVOKE ALL ON FUNCTION dwh_control.record_push_freshness() FROM PUBLIC;
REVOKE ALL ON dwh_control.pipeline_settings, dwh_control.push_freshness FROM PUBLIC;
GRANT SELECT ON dwh_control.pipeline_settings, dwh_control.push_freshness TO dwh_readonly;
DO $$
DECLARE v text;
BEGIN
    FOREACH v IN ARRAY ARRAY['v_source_to_analytics_latency', 'v_latency_summary', 'v_latency_alerts', 'v_chain_dbt_pending'] LOOP
        EXECUTE format('ALTER VIEW dwh_control.%I OWNER TO dwh_owner', v);
        EXECUTE format('REVOKE ALL ON dwh_control.%I FROM PUBLIC', v);
        EXECUTE format('GRANT SELECT ON dwh_control.%I TO dwh_readonly', v);
    END LOOP;
END $$;
