-- Roles (execution manual §4 A "Role model", §12): an owner that writes, a read-only role that never writes, and an
-- ETL login template for n8n. All three are NOLOGIN here and carry NO password: a DBA enables logins outside the
-- repository (docs/control-schema.md, "Roles and passwords"), e.g. in psql:
--     ALTER ROLE n8n_etl LOGIN;  \password n8n_etl
-- Roles are cluster-wide: every warehouse (and every test database) on the cluster shares them, so creation is
-- guarded, and a concurrent migrator of another database winning the race is not an error.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['dwh_owner', 'dwh_readonly', 'n8n_etl'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created by a concurrent migrator
            END;
        END IF;
    END LOOP;

    -- The ETL role works through the owner's privileges (writes bronze + control tables) but is not the owner,
    -- so its password can be rotated or the role dropped without touching object ownership.
    IF NOT pg_catalog.pg_has_role('n8n_etl', 'dwh_owner', 'MEMBER') THEN
        BEGIN
            GRANT dwh_owner TO n8n_etl;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
END
$$;

COMMENT ON ROLE dwh_owner IS 'DataAcuity warehouse: owns dwh_control and raw; NOLOGIN — grant it to login roles, never log in as it';
COMMENT ON ROLE dwh_readonly IS 'DataAcuity warehouse: reads raw and the dwh_control observability views, writes nothing';
COMMENT ON ROLE n8n_etl IS 'DataAcuity warehouse: n8n ETL login template (member of dwh_owner); enable LOGIN and set its password outside the repository';
