-- raw.* holds the apps' PII as extracted. Design doc §8.1: "locked to the ETL service account + two named DBAs".
-- 0003 let dwh_readonly (dashboards, Grafana) read every bronze table; this takes that back and gives raw read
-- access its own role, dwh_raw_reader, granted only to the named DBAs (docs/control-schema.md, "Roles").
-- dwh_readonly keeps the registry, watermarks, run log and observability views: enough to see that data arrived,
-- nothing of what it says. missing_roles() now reports any raw table dwh_readonly can still read.

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dwh_raw_reader') THEN
        BEGIN
            CREATE ROLE dwh_raw_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- created by a concurrent migrator of another database on the cluster
        END;
    END IF;
END
$$;
COMMENT ON ROLE dwh_raw_reader IS 'DataAcuity warehouse: reads raw.* (PII, design doc §8.1); grant only to the named DBAs, never to dashboards';
COMMENT ON ROLE dwh_readonly IS 'DataAcuity warehouse: reads the dwh_control registry, run log and observability views (not raw), writes nothing';

REVOKE SELECT ON ALL TABLES IN SCHEMA raw FROM dwh_readonly;
REVOKE USAGE ON SCHEMA raw FROM dwh_readonly;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw REVOKE SELECT ON TABLES FROM dwh_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw REVOKE SELECT ON TABLES FROM dwh_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE n8n_etl IN SCHEMA raw REVOKE SELECT ON TABLES FROM dwh_readonly;

GRANT USAGE ON SCHEMA raw TO dwh_raw_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA raw TO dwh_raw_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_raw_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_raw_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE n8n_etl IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_raw_reader;

-- As in 0005, plus: dwh_raw_reader exists, and dwh_readonly reads no raw table (a bronze table created by a role
-- whose default privileges still grant it, or a hand-made GRANT, is named with the fix).
CREATE OR REPLACE FUNCTION dwh_control.missing_roles()
RETURNS TABLE (problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text;
    t text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dwh_owner', 'dwh_readonly', 'n8n_etl', 'dwh_raw_reader'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            problem := format('role %s does not exist', r);
            RETURN NEXT;
        END IF;
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'dwh_readonly') THEN
        RETURN;
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
