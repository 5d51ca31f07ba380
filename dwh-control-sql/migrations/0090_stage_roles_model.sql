-- The role model of issue 11 (docs/security.md): no login owns or can become what guards it.
--   dwh_owner       NOLOGIN, owns dwh_control, raw, intermediate, marts, staging, dbt, dwh_enrich and every control
--                   table, trigger and function. Never granted to a login; assert_roles() names any login that is a
--                   member of it. Migrations run as a superuser (the DBA), never as a node's login.
--   dwh_etl         Watermark Extract, Blob Load Bronze, Enrich. Writes bronze rows and the extract run log; bronze
--                   DDL only through create_bronze_table / add_bronze_column; owns the Enrich reference tables.
--   dwh_compliance  Anonymise (builds, items, Forget Users, Rotate Salt): reads raw, writes intermediate.int_*,
--                   deletes forgotten users' rows, keeps the anonymise and RTBF logs. Member of dwh_etl, so a rebuild
--                   can recreate the Enrich views that read what it replaces.
--   dwh_transform   dbt Run: reads raw and intermediate, builds staging, marts and its own schema dbt.
--   dwh_pushback    Push Back (0065): reads marts.* only.
-- What guards the pipeline stays enforced against every one of them because none owns it: the run-status and
-- watermark triggers below cannot be disabled, schema_migrations cannot be written, raw cannot be re-granted.

-- n8n_etl was the ETL template and a member of dwh_owner (0002). It keeps no privilege; move its login to dwh_etl
-- (docs/security.md). 0002 grants the membership again when it migrates another warehouse on the cluster, so
-- assert_roles() reports n8n_etl if it can log in while a member. Locking pg_auth_members queues a concurrent
-- migrator's GRANT of 0002 behind this REVOKE instead of failing it with "tuple concurrently updated".
DO $$
DECLARE
    m record;
BEGIN
    IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        LOCK TABLE pg_catalog.pg_auth_members IN SHARE ROW EXCLUSIVE MODE;
    END IF;
    FOR m IN
        SELECT mem.rolname AS member, gr.rolname AS grantor
          FROM pg_catalog.pg_auth_members a
          JOIN pg_catalog.pg_roles r ON r.oid = a.roleid
          JOIN pg_catalog.pg_roles mem ON mem.oid = a.member
          JOIN pg_catalog.pg_roles gr ON gr.oid = a.grantor
         WHERE r.rolname = 'dwh_owner'
           AND mem.rolname IN ('n8n_etl', 'dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance', 'dwh_readonly', 'dwh_raw_reader')
    LOOP
        EXECUTE format('REVOKE dwh_owner FROM %I GRANTED BY %I', m.member, m.grantor);
    END LOOP;
    -- Anonymise (dwh_compliance) replaces intermediate tables that Enrich's views read: publishTable recreates those
    -- views as their owner (dwh_etl), so compliance acts as dwh_etl; never the other way round.
    IF NOT pg_catalog.pg_has_role('dwh_compliance', 'dwh_etl', 'MEMBER') THEN
        GRANT dwh_etl TO dwh_compliance;
    END IF;
END
$$;

-- Schemas: all owned by dwh_owner; stages get USAGE (and CREATE where they build tables) below.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS dbt;
ALTER SCHEMA intermediate OWNER TO dwh_owner;
ALTER SCHEMA staging OWNER TO dwh_owner;
ALTER SCHEMA dbt OWNER TO dwh_owner;
ALTER SCHEMA dwh_enrich OWNER TO dwh_owner;
REVOKE CREATE ON SCHEMA dwh_control, raw, intermediate, marts, staging, dbt, dwh_enrich FROM PUBLIC;

-- Bronze tables belong to dwh_owner, whoever created them (n8n_etl at run time until now).
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT format('raw.%I', c.relname) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'raw' AND c.relkind IN ('r', 'p') AND pg_catalog.pg_get_userbyid(c.relowner) <> 'dwh_owner'
    LOOP
        EXECUTE format('ALTER TABLE %s OWNER TO dwh_owner', t);
    END LOOP;
    -- intermediate.* was written by the ETL login: Anonymise outputs now belong to dwh_compliance, Enrich's to dwh_etl.
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'intermediate' AND c.relkind IN ('r', 'p') AND c.relname ~ '^(int|enr)_'
           AND pg_catalog.pg_get_userbyid(c.relowner) NOT IN ('dwh_compliance', 'dwh_etl')
    LOOP
        EXECUTE format('ALTER TABLE intermediate.%I OWNER TO %I', t, CASE WHEN t LIKE 'enr\_%' THEN 'dwh_etl' ELSE 'dwh_compliance' END);
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------------------------------------------
-- Invariants as triggers owned by dwh_owner: no stage login can disable them (ALTER TABLE needs ownership).
-- A superuser can do anything anyway; the guards bind every other role.

-- The watermark only moves forward, except through reset_watermark() (SECURITY DEFINER: it runs as dwh_owner).
CREATE OR REPLACE FUNCTION dwh_control.guard_watermark() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_user = 'dwh_owner' OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NEW;
    END IF;
    IF NEW.table_name IS DISTINCT FROM OLD.table_name THEN
        RAISE EXCEPTION 'extract_watermarks: the table of a watermark row never changes (% -> %)', OLD.table_name, NEW.table_name
            USING ERRCODE = 'check_violation';
    END IF;
    IF NEW.last_extracted_at < OLD.last_extracted_at THEN
        RAISE EXCEPTION 'watermark of % may only move forward (% -> %)', OLD.table_name, OLD.last_extracted_at, NEW.last_extracted_at
            USING ERRCODE = 'check_violation',
                  HINT = format('Move it back with SELECT dwh_control.reset_watermark(%L, <time>), which refuses while a run is in flight.', OLD.table_name);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS extract_watermarks_forward ON dwh_control.extract_watermarks;
CREATE TRIGGER extract_watermarks_forward
    BEFORE UPDATE ON dwh_control.extract_watermarks
    FOR EACH ROW EXECUTE FUNCTION dwh_control.guard_watermark();

-- The run log: a run starts as 'extracting' (or is recorded 'skipped'); status changes follow check_run_transition
-- (0001); a finished run ('loaded', 'skipped') is an audit record: only the CSV move after the load may still set
-- processed_path and csv_moved_at. Identity columns never change.
CREATE OR REPLACE FUNCTION dwh_control.guard_extract_run() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF current_user = 'dwh_owner' OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.status NOT IN ('extracting', 'skipped') THEN
            RAISE EXCEPTION 'extract run of %: a new run starts as extracting or skipped, not %', NEW.table_name, NEW.status
                USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF (NEW.run_id, NEW.table_name, NEW.mode, NEW.run_started_at) IS DISTINCT FROM (OLD.run_id, OLD.table_name, OLD.mode, OLD.run_started_at) THEN
        RAISE EXCEPTION 'extract run % of %: run_id, table_name, mode and run_started_at never change', OLD.run_id, OLD.table_name
            USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.status IN ('loaded', 'skipped')
       AND (to_jsonb(NEW) - 'processed_path' - 'csv_moved_at' IS DISTINCT FROM to_jsonb(OLD) - 'processed_path' - 'csv_moved_at'
            OR OLD.csv_moved_at IS NOT NULL AND NEW.csv_moved_at IS DISTINCT FROM OLD.csv_moved_at) THEN
        RAISE EXCEPTION 'extract run % of % is %: a finished run is an audit record (only the CSV move may still be recorded)', OLD.run_id, OLD.table_name, OLD.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS extract_runs_guard ON dwh_control.extract_runs;
CREATE TRIGGER extract_runs_guard
    BEFORE INSERT OR UPDATE ON dwh_control.extract_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.guard_extract_run();

-- ---------------------------------------------------------------------------------------------------------------
-- Bronze DDL without ownership: the extract creates and widens raw.<table> only through these, for tables the
-- registry knows, with names quoted and types checked; the new table belongs to dwh_owner and the default privileges
-- below give each stage its share of it.
CREATE OR REPLACE FUNCTION dwh_control.check_bronze_column(p_table text, p_column text, p_type text) RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_column IS NULL OR length(p_column) NOT BETWEEN 1 AND 63 OR p_column LIKE '\_dwh\_%' THEN
        RAISE EXCEPTION 'raw.%: column name % is empty, longer than 63 characters or a bookkeeping name (_dwh_*)', p_table, coalesce(quote_ident(p_column), 'NULL')
            USING ERRCODE = 'invalid_name';
    END IF;
    IF p_type IS NULL OR p_type !~ '^("char"|[a-z][a-z0-9_ ]*(\([0-9]+(,[0-9]+)?\))?( [a-z ]+)?)(\[\])*$' OR to_regtype(p_type) IS NULL THEN
        RAISE EXCEPTION 'raw.%: column % has type %, which is not a plain built-in type name', p_table, quote_ident(p_column), coalesce(quote_literal(p_type), 'NULL')
            USING ERRCODE = 'invalid_name';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION dwh_control.create_bronze_table(p_table text, p_columns text[], p_types text[]) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    cols text := '';
    i integer;
BEGIN
    SELECT s.table_name, s.source_db, s.source_schema, s.source_table, s.key_columns INTO t
      FROM dwh_control.source_tables s WHERE s.table_name = p_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'create_bronze_table: % is not in dwh_control.source_tables', p_table USING ERRCODE = 'no_data_found';
    END IF;
    IF to_regclass(format('raw.%I', p_table)) IS NOT NULL THEN
        RETURN false;
    END IF;
    IF coalesce(cardinality(p_columns), 0) = 0 OR cardinality(p_columns) <> coalesce(cardinality(p_types), 0) THEN
        RAISE EXCEPTION 'create_bronze_table(%): one type per column, at least one column', p_table USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT (t.key_columns <@ p_columns) THEN
        RAISE EXCEPTION 'create_bronze_table(%): key column(s) % missing from the columns', p_table, array_to_string(t.key_columns, ', ')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    FOR i IN 1 .. cardinality(p_columns) LOOP
        PERFORM dwh_control.check_bronze_column(p_table, p_columns[i], p_types[i]);
        cols := cols || format('%I %s%s, ', p_columns[i], p_types[i], CASE WHEN p_columns[i] = ANY (t.key_columns) THEN ' NOT NULL' ELSE '' END);
    END LOOP;
    EXECUTE format(
        'CREATE TABLE raw.%I (%s_dwh_run_id bigint NOT NULL DEFAULT current_setting(%L)::bigint, _dwh_loaded_at timestamptz NOT NULL DEFAULT now(), CONSTRAINT %I PRIMARY KEY (%s))',
        p_table, cols, 'dwh.load_run_id', left(p_table || '_pkey', 63),
        (SELECT string_agg(format('%I', k), ', ') FROM unnest(t.key_columns) k));
    EXECUTE format('COMMENT ON TABLE raw.%I IS %L', p_table,
        format('bronze copy of %s.%s.%s; loaded by n8n-nodes-dataacuity, never edit by hand', t.source_db, t.source_schema, t.source_table));
    RETURN true;
END
$$;

CREATE OR REPLACE FUNCTION dwh_control.add_bronze_column(p_table text, p_column text, p_type text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dwh_control.source_tables s WHERE s.table_name = p_table) THEN
        RAISE EXCEPTION 'add_bronze_column: % is not in dwh_control.source_tables', p_table USING ERRCODE = 'no_data_found';
    END IF;
    IF to_regclass(format('raw.%I', p_table)) IS NULL THEN
        RAISE EXCEPTION 'add_bronze_column: raw.% does not exist', p_table USING ERRCODE = 'undefined_table';
    END IF;
    PERFORM dwh_control.check_bronze_column(p_table, p_column, p_type);
    EXECUTE format('ALTER TABLE raw.%I ADD COLUMN IF NOT EXISTS %I %s', p_table, p_column, p_type);
END
$$;

-- Bronze tables created before the run-id default existed get it on their first back-fill (src/load/loadBronze.ts).
CREATE OR REPLACE FUNCTION dwh_control.set_bronze_run_id_default(p_table text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dwh_control.source_tables s WHERE s.table_name = p_table) OR to_regclass(format('raw.%I', p_table)) IS NULL THEN
        RAISE EXCEPTION 'set_bronze_run_id_default: raw.% is not a registered bronze table', p_table USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('ALTER TABLE raw.%I ALTER COLUMN _dwh_run_id SET DEFAULT current_setting(%L)::bigint', p_table, 'dwh.load_run_id');
END
$$;

-- dwh-reconcile's on_source_delete 'mark' (src/reconcile/repair.ts) needs this one bookkeeping column.
CREATE OR REPLACE FUNCTION dwh_control.add_bronze_deleted_at(p_table text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dwh_control.source_tables s WHERE s.table_name = p_table) OR to_regclass(format('raw.%I', p_table)) IS NULL THEN
        RAISE EXCEPTION 'add_bronze_deleted_at: raw.% is not a registered bronze table', p_table USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('ALTER TABLE raw.%I ADD COLUMN IF NOT EXISTS _dwh_deleted_at timestamptz', p_table);
END
$$;

-- reset_watermark (0007/0070) runs as its owner, so the watermark guard lets it move a watermark back. A later
-- CREATE OR REPLACE of it must say SECURITY DEFINER again.
ALTER FUNCTION dwh_control.reset_watermark(text, timestamptz) SECURITY DEFINER;

DO $$
DECLARE
    f text;
BEGIN
    FOREACH f IN ARRAY ARRAY['dwh_control.guard_watermark()', 'dwh_control.guard_extract_run()',
                             'dwh_control.check_bronze_column(text, text, text)',
                             'dwh_control.create_bronze_table(text, text[], text[])', 'dwh_control.add_bronze_column(text, text, text)',
                             'dwh_control.set_bronze_run_id_default(text)', 'dwh_control.add_bronze_deleted_at(text)'] LOOP
        EXECUTE format('ALTER FUNCTION %s OWNER TO dwh_owner', f);
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END
$$;
GRANT EXECUTE ON FUNCTION dwh_control.create_bronze_table(text, text[], text[]), dwh_control.add_bronze_column(text, text, text),
    dwh_control.set_bronze_run_id_default(text), dwh_control.add_bronze_deleted_at(text), dwh_control.reset_watermark(text, timestamptz) TO dwh_etl;

-- ---------------------------------------------------------------------------------------------------------------
-- dwh_etl: Watermark Extract, Blob Load Bronze, Enrich.
GRANT USAGE ON SCHEMA dwh_control, raw TO dwh_etl;
GRANT SELECT ON dwh_control.source_tables TO dwh_etl;
GRANT SELECT, INSERT, UPDATE ON dwh_control.extract_watermarks, dwh_control.extract_runs TO dwh_etl;
GRANT USAGE ON SEQUENCE dwh_control.extract_runs_run_id_seq TO dwh_etl;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA raw TO dwh_etl;
-- Enrich: reads intermediate, writes intermediate.enr_* (the config allows nothing else), owns its reference data.
GRANT USAGE, CREATE ON SCHEMA intermediate TO dwh_etl;
GRANT USAGE ON SCHEMA marts, dwh_enrich TO dwh_etl;
ALTER TABLE marts.dim_holidays OWNER TO dwh_etl;
ALTER TABLE marts.dim_fx_rates_daily OWNER TO dwh_etl;
ALTER TABLE marts.dim_places OWNER TO dwh_etl;
ALTER TABLE marts.dim_admin_divisions OWNER TO dwh_etl;
ALTER TABLE dwh_enrich.geo_service_cache OWNER TO dwh_etl;

-- dwh_compliance: Anonymise.
GRANT USAGE ON SCHEMA dwh_control, raw, staging TO dwh_compliance;
GRANT USAGE, CREATE ON SCHEMA intermediate TO dwh_compliance;
GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA raw TO dwh_compliance;
GRANT SELECT ON dwh_control.source_tables, dwh_control.extract_watermarks, dwh_control.extract_runs, dwh_control.ip_geo_ranges,
    dwh_control.rtbf_sla TO dwh_compliance;
GRANT SELECT, INSERT, UPDATE ON dwh_control.anonymise_runs, dwh_control.anonymise_salts, dwh_control.rtbf_requests TO dwh_compliance;
GRANT SELECT, INSERT ON dwh_control.salt_rotations, dwh_control.rtbf_actions, dwh_control.rtbf_subjects TO dwh_compliance;
GRANT USAGE ON SEQUENCE dwh_control.anonymise_runs_run_id_seq, dwh_control.salt_rotations_rotation_id_seq,
    dwh_control.rtbf_requests_request_id_seq, dwh_control.rtbf_actions_action_id_seq TO dwh_compliance;
-- Raw retention (0082, dwh-expire-raw): deleting expired bronze PII is compliance's job.
GRANT SELECT, INSERT, UPDATE ON dwh_control.retention_runs TO dwh_compliance;
GRANT USAGE ON SEQUENCE dwh_control.retention_runs_retention_run_id_seq TO dwh_compliance;

-- dwh_transform: dbt Run.
GRANT USAGE ON SCHEMA dwh_control, raw, intermediate TO dwh_transform;
GRANT USAGE, CREATE ON SCHEMA staging, marts, dbt TO dwh_transform;
GRANT SELECT ON ALL TABLES IN SCHEMA raw TO dwh_transform;
GRANT SELECT ON ALL TABLES IN SCHEMA intermediate TO dwh_transform;
GRANT SELECT ON marts.dim_holidays, marts.dim_fx_rates_daily, marts.dim_places, marts.dim_admin_divisions TO dwh_transform;
GRANT SELECT, INSERT, UPDATE ON dwh_control.dbt_runs, dwh_control.dbt_incident_claims TO dwh_transform;
-- The webhook's replay register (0060): Verify Incident Webhook claims each signed request once, and forgets expired ones.
GRANT SELECT, INSERT, UPDATE, DELETE ON dwh_control.dbt_webhook_requests TO dwh_transform;

-- dbt's per-node results (0095, created after this file on a new warehouse, so no GRANT can name the table here):
-- written through this function, which PL/pgSQL resolves when it is called. Only rows of a run in dbt_runs.
CREATE OR REPLACE FUNCTION dwh_control.record_dbt_node_results(p_run_id text, p_unique_id text[], p_resource_type text[], p_name text[],
    p_status text[], p_execution_time_s numeric[], p_started_at timestamptz[], p_completed_at timestamptz[], p_rows_affected bigint[],
    p_failures bigint[], p_freshness_age_s numeric[], p_message text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    INSERT INTO dwh_control.dbt_node_results (run_id, unique_id, resource_type, name, status, execution_time_s, started_at, completed_at,
                                              rows_affected, failures, freshness_age_s, message)
    SELECT p_run_id, n.* FROM unnest(p_unique_id, p_resource_type, p_name, p_status, p_execution_time_s, p_started_at, p_completed_at,
                                     p_rows_affected, p_failures, p_freshness_age_s, p_message) AS n
    ON CONFLICT (run_id, unique_id) DO NOTHING;
END
$$;
ALTER FUNCTION dwh_control.record_dbt_node_results(text, text[], text[], text[], text[], numeric[], timestamptz[], timestamptz[], bigint[], bigint[], numeric[], text[]) OWNER TO dwh_owner;
REVOKE ALL ON FUNCTION dwh_control.record_dbt_node_results(text, text[], text[], text[], text[], numeric[], timestamptz[], timestamptz[], bigint[], bigint[], numeric[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dwh_control.record_dbt_node_results(text, text[], text[], text[], text[], numeric[], timestamptz[], timestamptz[], bigint[], bigint[], numeric[], text[]) TO dwh_transform;
GRANT SELECT ON dwh_control.source_tables, dwh_control.extract_watermarks TO dwh_transform;

-- Future tables: each creator's, per schema, reach the stages that read them.
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dwh_etl;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT, DELETE ON TABLES TO dwh_compliance;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_transform;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO dwh_etl;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT, DELETE ON TABLES TO dwh_compliance;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_transform;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_compliance IN SCHEMA intermediate GRANT SELECT ON TABLES TO dwh_etl, dwh_transform;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_etl IN SCHEMA intermediate GRANT SELECT ON TABLES TO dwh_transform;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_etl IN SCHEMA intermediate GRANT SELECT, DELETE ON TABLES TO dwh_compliance;
ALTER DEFAULT PRIVILEGES IN SCHEMA intermediate GRANT SELECT ON TABLES TO dwh_etl, dwh_transform, dwh_compliance;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_etl IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_transform;
-- Forget Users (0081) removes or unlinks the person in every copy: staging and marts tables (dbt's), refreshing the
-- materialized views over them (MAINTAIN, PostgreSQL 17+; before that a DBA refreshes them).
GRANT USAGE ON SCHEMA marts TO dwh_compliance;
DO $$
DECLARE
    privs text := CASE WHEN current_setting('server_version_num')::int >= 170000 THEN 'SELECT, UPDATE, DELETE, MAINTAIN' ELSE 'SELECT, UPDATE, DELETE' END;
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['staging', 'marts'] LOOP
        EXECUTE format('ALTER DEFAULT PRIVILEGES FOR ROLE dwh_transform IN SCHEMA %I GRANT %s ON TABLES TO dwh_compliance', s, privs);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT %s ON TABLES TO dwh_compliance', s, privs);
        EXECUTE format('GRANT %s ON ALL TABLES IN SCHEMA %I TO dwh_compliance', privs, s);
    END LOOP;
END
$$;
GRANT SELECT ON ALL TABLES IN SCHEMA intermediate TO dwh_etl, dwh_compliance;

-- ---------------------------------------------------------------------------------------------------------------
-- assert_roles(): as 0010, plus the role model: the stage roles exist, dwh_owner cannot log in and no login (nor
-- stage role) is a member of it, and dwh_owner still owns the control schema.
CREATE OR REPLACE FUNCTION dwh_control.missing_roles()
RETURNS TABLE (problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text;
    t text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dwh_owner', 'dwh_readonly', 'dwh_raw_reader', 'dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            problem := format('role %s does not exist', r);
            RETURN NEXT;
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dwh_readonly') OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dwh_owner') THEN
        RETURN;
    END IF;
    IF (SELECT rolcanlogin FROM pg_roles WHERE rolname = 'dwh_owner') THEN
        problem := 'role dwh_owner can log in: it owns dwh_control and raw, so nobody may log in as it — ALTER ROLE dwh_owner NOLOGIN';
        RETURN NEXT;
    END IF;
    FOR r IN
        SELECT m.rolname FROM pg_roles m
         WHERE m.rolname <> 'dwh_owner' AND NOT m.rolsuper AND pg_has_role(m.oid, 'dwh_owner', 'MEMBER')
           AND (m.rolcanlogin OR m.rolname IN ('dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance', 'dwh_readonly', 'dwh_raw_reader'))
         ORDER BY 1
    LOOP
        problem := format('role %s is a member of dwh_owner, which owns what guards the pipeline (run-status and watermark triggers, schema_migrations, raw grants): REVOKE dwh_owner FROM %I, and give the login its stage role instead (docs/security.md)', r, r);
        RETURN NEXT;
    END LOOP;
    IF (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'dwh_control') IS DISTINCT FROM 'dwh_owner' THEN
        problem := 'schema dwh_control is not owned by dwh_owner — ALTER SCHEMA dwh_control OWNER TO dwh_owner';
        RETURN NEXT;
    END IF;
    IF (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = 'dwh_readonly') THEN
        problem := 'role dwh_readonly must not be a superuser or bypass row security';
        RETURN NEXT;
    END IF;
    FOREACH t IN ARRAY ARRAY['dwh_control.v_table_freshness', 'dwh_control.v_recent_failures', 'dwh_control.v_watermark_lag'] LOOP
        IF to_regclass(t) IS NULL THEN
            problem := format('view %s does not exist', t);
            RETURN NEXT;
        ELSIF NOT has_table_privilege('dwh_readonly', t, 'SELECT') THEN
            problem := format('dwh_readonly cannot SELECT %s', t);
            RETURN NEXT;
        END IF;
    END LOOP;
    FOREACH t IN ARRAY ARRAY['dwh_control.source_tables', 'dwh_control.extract_watermarks', 'dwh_control.extract_runs', 'dwh_control.schema_migrations'] LOOP
        IF to_regclass(t) IS NOT NULL AND has_table_privilege('dwh_readonly', t, 'INSERT, UPDATE, DELETE, TRUNCATE') THEN
            problem := format('dwh_readonly can write %s', t);
            RETURN NEXT;
        END IF;
    END LOOP;
    IF to_regnamespace('raw') IS NOT NULL THEN
        FOR t IN
            SELECT format('%I.%I', n.nspname, c.relname)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'raw' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
               AND has_table_privilege('dwh_readonly', c.oid, 'SELECT')
             ORDER BY 1
        LOOP
            problem := format('dwh_readonly can read %s, which holds PII (design §8.1): REVOKE SELECT ON %s FROM dwh_readonly', t, t);
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;
ALTER FUNCTION dwh_control.missing_roles() OWNER TO dwh_owner;
