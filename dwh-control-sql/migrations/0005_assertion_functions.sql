-- Assertions (execution manual §4 A, §5.7: fail loud with a list of what is missing). Each check is a function so it
-- can run again after loads (`npm run dwh:migrate` runs dwh_control.assert_all() after migrating) — a migration alone
-- runs once, but bronze tables are created later, on each table's first extract.

-- Every bronze table in raw that the registry knows must have a key ON CONFLICT can use: a PRIMARY KEY or UNIQUE
-- constraint/index on exactly the registry's key_columns (any order), valid, non-partial, without expressions and not
-- deferrable (ON CONFLICT cannot use deferrable constraints as arbiters). Registered tables not yet created are fine.
CREATE OR REPLACE FUNCTION dwh_control.missing_bronze_keys()
RETURNS TABLE (table_name text, key_columns text[], unique_keys text[], problem text)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    WITH bronze AS (
        SELECT s.table_name, s.key_columns, c.oid AS relid
          FROM dwh_control.source_tables s
          JOIN pg_class c ON c.relname = s.table_name AND c.relkind IN ('r', 'p')
          JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'raw'
    ), keys AS (
        SELECT i.indrelid AS relid,
               (SELECT array_agg(a.attname::text ORDER BY a.attname::text COLLATE "C")
                  FROM unnest(i.indkey) AS k(attnum)
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum) AS cols,
               i.indisvalid AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL AS usable
          FROM pg_index i
         WHERE i.indisunique AND i.indrelid IN (SELECT relid FROM bronze)
    )
    SELECT b.table_name,
           b.key_columns,
           coalesce((SELECT array_agg('(' || array_to_string(k.cols, ', ') || ')' ORDER BY k.cols) FROM keys k WHERE k.relid = b.relid),
                    '{}') AS unique_keys,
           format('raw.%s: no PRIMARY KEY/UNIQUE on (%s); unique keys present: %s', b.table_name,
                  array_to_string(b.key_columns, ', '),
                  coalesce((SELECT string_agg('(' || array_to_string(k.cols, ', ') || ')'
                                              || CASE WHEN k.usable THEN '' ELSE ' [unusable: partial, expression, deferrable or invalid]' END,
                                              ', ' ORDER BY k.cols)
                              FROM keys k WHERE k.relid = b.relid), 'none')) AS problem
      FROM bronze b
     WHERE NOT EXISTS (
            SELECT 1 FROM keys k
             WHERE k.relid = b.relid AND k.usable
               AND k.cols = (SELECT array_agg(x ORDER BY x COLLATE "C") FROM unnest(b.key_columns) AS x))
     ORDER BY b.table_name
$$;

CREATE OR REPLACE FUNCTION dwh_control.assert_bronze_keys()
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
    checked integer;
BEGIN
    SELECT string_agg('  - ' || m.problem, E'\n' ORDER BY m.table_name) INTO missing FROM dwh_control.missing_bronze_keys() m;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION E'bronze tables without a PRIMARY KEY/UNIQUE matching their registry key_columns:\n%', missing
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'ON CONFLICT needs such a key (manual §5.3). Add it (ALTER TABLE raw.<t> ADD PRIMARY KEY (...)) or fix key_columns in source-registry.json.';
    END IF;
    SELECT count(*) INTO checked
      FROM dwh_control.source_tables s
      JOIN pg_class c ON c.relname = s.table_name AND c.relkind IN ('r', 'p')
      JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'raw';
    RETURN checked;
END
$$;

-- The owner and read-only roles exist, the read-only role can read what dashboards need and cannot write.
CREATE OR REPLACE FUNCTION dwh_control.missing_roles()
RETURNS TABLE (problem text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r text;
    t text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dwh_owner', 'dwh_readonly', 'n8n_etl'] LOOP
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
END
$$;

CREATE OR REPLACE FUNCTION dwh_control.assert_roles()
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg('  - ' || m.problem, E'\n') INTO missing FROM dwh_control.missing_roles() m;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION E'warehouse roles are not set up:\n%', missing
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Re-run the role migrations (0002_roles.sql, 0003_ownership_and_grants.sql, 0004_observability_views.sql) as a superuser.';
    END IF;
END
$$;

-- Both checks, every problem in one message (a DBA fixes them in one pass instead of one per run).
CREATE OR REPLACE FUNCTION dwh_control.assert_all()
RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    missing text;
BEGIN
    SELECT string_agg('  - ' || p, E'\n') INTO missing
      FROM (SELECT m.problem AS p FROM dwh_control.missing_roles() m
            UNION ALL
            SELECT k.problem FROM dwh_control.missing_bronze_keys() k) all_problems;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION E'warehouse assertions failed:\n%', missing USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN dwh_control.assert_bronze_keys();
END
$$;

ALTER FUNCTION dwh_control.missing_bronze_keys() OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.assert_bronze_keys() OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.missing_roles() OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.assert_roles() OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.assert_all() OWNER TO dwh_owner;
