-- A tighter bound for push_freshness.oldest_commit_after (0150). The load now records, per run, the smallest
-- watermark value among the rows it inserted or updated (extract_runs.oldest_changed_stamp): a row's commit comes
-- after its own stamp, and after the previous window's upper bound. So the oldest commit a push delivers for the
-- first time is at least greatest(previous upper bound, oldest changed stamp) per run. With the previous upper bound
-- alone, a push after a quiet spell counted the whole spell as latency (measured in the demo: 5 min 52 s recorded
-- for rows that arrived in 61 s at a 5-minute extract cadence).
ALTER TABLE dwh_control.extract_runs ADD COLUMN IF NOT EXISTS oldest_changed_stamp timestamptz;

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
               coalesce(r.rows_inserted, 0) + coalesce(r.rows_updated, 0) > 0 AS changed, r.oldest_changed_stamp,
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
           (SELECT min(greatest(prev_upper, oldest_changed_stamp)) FROM included
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

ALTER FUNCTION dwh_control.record_push_freshness() OWNER TO dwh_owner;
REVOKE ALL ON FUNCTION dwh_control.record_push_freshness() FROM PUBLIC;
