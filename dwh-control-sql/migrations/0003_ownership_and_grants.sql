-- Ownership and grants for the roles of 0002. Applied by a DBA session (superuser, or a member of dwh_owner and
-- n8n_etl): ALTER ... OWNER and ALTER DEFAULT PRIVILEGES FOR ROLE need that membership.

ALTER SCHEMA dwh_control OWNER TO dwh_owner;
ALTER SCHEMA raw OWNER TO dwh_owner;
ALTER TABLE dwh_control.source_tables OWNER TO dwh_owner;
ALTER TABLE dwh_control.extract_watermarks OWNER TO dwh_owner;
ALTER TABLE dwh_control.extract_runs OWNER TO dwh_owner;
ALTER TABLE dwh_control.schema_migrations OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.check_run_transition() OWNER TO dwh_owner;

-- Read-only: the registry, watermarks and run log (Grafana's row-count panel reads extract_runs, manual §4 F) and
-- every bronze table. Named tables only in dwh_control — later areas may keep secrets there (e.g. vault tables),
-- so there is deliberately no ALTER DEFAULT PRIVILEGES for dwh_control.
GRANT USAGE ON SCHEMA dwh_control TO dwh_readonly;
GRANT USAGE ON SCHEMA raw TO dwh_readonly;
GRANT SELECT ON dwh_control.source_tables, dwh_control.extract_watermarks, dwh_control.extract_runs,
    dwh_control.schema_migrations TO dwh_readonly;
GRANT SELECT ON ALL TABLES IN SCHEMA raw TO dwh_readonly;

-- Bronze tables are created at run time by whoever runs the extract (n8n_etl in production, the migrating DBA or a
-- superuser in tests and the demo): each creator's future tables in raw are readable too.
ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_readonly;
ALTER DEFAULT PRIVILEGES FOR ROLE n8n_etl IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_readonly;

-- Nobody but the owner writes to the control tables (PUBLIC has no table privileges by default; made explicit).
REVOKE ALL ON dwh_control.source_tables, dwh_control.extract_watermarks, dwh_control.extract_runs,
    dwh_control.schema_migrations FROM PUBLIC;
