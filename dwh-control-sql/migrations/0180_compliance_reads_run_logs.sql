-- The residue verifier (Verify Residue, dwh-verify-residue) runs as dwh_compliance and must search every place a
-- forgotten person could remain, run logs included; a relation it may not read is reported "NOT searched", so a clean
-- report left other stages' run logs (dbt_runs, push_runs, reconcile_runs, ...) unproven. dwh_compliance may read
-- (never write) every dwh_control table dwh_readonly, the dashboards' role, already reads: nothing here is more
-- sensitive than what the least privileged role sees, and secrets (salts, keys) are in none of them.
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'dwh_control' AND c.relkind IN ('r', 'p', 'm')
           AND pg_catalog.has_table_privilege('dwh_readonly', c.oid, 'SELECT')
           AND NOT pg_catalog.has_table_privilege('dwh_compliance', c.oid, 'SELECT')
         ORDER BY 1
    LOOP
        EXECUTE format('GRANT SELECT ON dwh_control.%I TO dwh_compliance', t);
    END LOOP;
END
$$;
