-- One role per stage (issue 11, design doc §10.2 "Runs as"): etl_user, dwh_user, pushback_user and compliance_user
-- become dwh_etl, dwh_transform, dwh_pushback and dwh_compliance. Each is NOLOGIN and has no password here; a DBA
-- enables it as the stage's login outside the repository (ALTER ROLE dwh_etl LOGIN; \password dwh_etl). The login
-- is the role itself, not a member of it: tables it creates are then owned by the stage role and reached by the
-- default privileges below, whoever rotates the password. docs/security.md lists what each may and may not do.
-- New names rather than n8n_etl: 0002 grants dwh_owner to n8n_etl on every warehouse it migrates (it is append-only),
-- and roles are cluster-wide, so a second warehouse on the cluster would hand the owner role back to that name.
--
-- This migration: the roles, and Push Back's warehouse side. Its login reads marts.* and nothing else, so a source
-- query such as SELECT reverse(email) FROM raw.auth_db__users fails with "permission denied" from PostgreSQL itself
-- (not from parsing the SQL), and it changes its run log only through the functions below.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created by a concurrent migrator of another database on the cluster
            END;
        END IF;
    END LOOP;
END
$$;
COMMENT ON ROLE dwh_etl IS 'DataAcuity warehouse: Watermark Extract, Blob Load Bronze and Enrich (design §10.2 etl_user); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_transform IS 'DataAcuity warehouse: dbt Run (design §10.2 dwh_user); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_pushback IS 'DataAcuity warehouse: Push Back reads marts.* only (design §10.2 pushback_user); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_compliance IS 'DataAcuity warehouse: Anonymise, Forget Users, Rotate Salt (design §10.2 compliance_user); enable LOGIN and set its password outside the repository';

ALTER SCHEMA marts OWNER TO dwh_owner;
GRANT USAGE ON SCHEMA marts TO dwh_pushback;
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO dwh_pushback;
-- Marts are built at run time by dbt (dwh_transform), the reference tables by Enrich (dwh_etl), hand-made ones by the
-- migrating DBA: each creator's future tables and views in marts are readable by the push.
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_pushback;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_transform IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_pushback;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_etl IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_pushback;
GRANT USAGE ON SCHEMA dwh_control TO dwh_pushback;

-- The push run log, written only through these functions (SECURITY DEFINER, owned by dwh_owner): a push login can
-- start, skip, finish and fail its own runs in the order the transition trigger allows, and read nothing else of
-- dwh_control.
CREATE OR REPLACE FUNCTION dwh_control.push_run_abandon(p_target_relation text)
RETURNS SETOF bigint
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE dwh_control.push_runs
       SET status = 'failed', run_finished_at = now(),
           error_message = 'abandoned: its worker stopped without finishing (the target lock was free when the next push started)'
     WHERE target_relation = p_target_relation AND status = 'running'
    RETURNING push_run_id
$$;

CREATE OR REPLACE FUNCTION dwh_control.push_run_start(p_target_name text, p_target_relation text, p_source text, p_mode text,
                                                      p_k integer, p_group_size_column text, p_execution_id text)
RETURNS SETOF dwh_control.push_runs
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, k, group_size_column,
                                       lock_acquired_at, n8n_execution_id)
    VALUES (p_target_name, p_target_relation, p_source, p_mode, 'running', p_k, p_group_size_column, clock_timestamp(), p_execution_id)
    RETURNING *
$$;

CREATE OR REPLACE FUNCTION dwh_control.push_run_skip(p_target_name text, p_target_relation text, p_source text, p_mode text,
                                                     p_k integer, p_group_size_column text, p_reason text, p_execution_id text)
RETURNS SETOF dwh_control.push_runs
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, k, group_size_column,
                                       skip_reason, run_finished_at, n8n_execution_id)
    VALUES (p_target_name, p_target_relation, p_source, p_mode, 'skipped', p_k, p_group_size_column, p_reason, clock_timestamp(), p_execution_id)
    RETURNING *
$$;

CREATE OR REPLACE FUNCTION dwh_control.push_run_finish(p_run_id bigint, p_table_created boolean, p_staged bigint, p_inserted bigint,
                                                       p_updated bigint, p_unchanged bigint, p_deleted bigint, p_suppressed bigint,
                                                       p_suppressed_removed bigint)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE dwh_control.push_runs
       SET status = 'pushed', table_created = p_table_created, rows_staged = p_staged, rows_inserted = p_inserted,
           rows_updated = p_updated, rows_unchanged = p_unchanged, rows_deleted = p_deleted, rows_suppressed = p_suppressed,
           rows_suppressed_removed = p_suppressed_removed, run_finished_at = clock_timestamp()
     WHERE push_run_id = p_run_id AND status = 'running'
$$;

CREATE OR REPLACE FUNCTION dwh_control.push_run_fail(p_run_id bigint, p_error text)
RETURNS void
LANGUAGE sql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE dwh_control.push_runs SET status = 'failed', error_message = left(p_error, 4000), run_finished_at = clock_timestamp()
     WHERE push_run_id = p_run_id AND status = 'running'
$$;

CREATE OR REPLACE FUNCTION dwh_control.push_run_history(p_target_name text, p_limit integer)
RETURNS SETOF dwh_control.push_runs
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM dwh_control.push_runs WHERE target_name = p_target_name
     ORDER BY run_started_at DESC, push_run_id DESC LIMIT greatest(p_limit, 0)
$$;

CREATE OR REPLACE FUNCTION dwh_control.push_target_statuses()
RETURNS SETOF dwh_control.push_target_status
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT * FROM dwh_control.push_target_status
$$;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY[
        'dwh_control.push_run_abandon(text)',
        'dwh_control.push_run_start(text, text, text, text, integer, text, text)',
        'dwh_control.push_run_skip(text, text, text, text, integer, text, text, text)',
        'dwh_control.push_run_finish(bigint, boolean, bigint, bigint, bigint, bigint, bigint, bigint, bigint)',
        'dwh_control.push_run_fail(bigint, text)',
        'dwh_control.push_run_history(text, integer)',
        'dwh_control.push_target_statuses()'
    ] LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO dwh_owner', f);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO dwh_pushback', f);
    END LOOP;
END
$$;
