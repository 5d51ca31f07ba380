-- Baseline of the warehouse control schema: the state that migrations 0001..0190 left, in one file (issue 16).
--
-- Those 47 append-only migrations redefined the same views and functions many times over (v_pipeline_alerts five
-- times, missing_roles three, reset_watermark twice ...) and added columns to tables long after creating them. This
-- file creates every object once, in its final form, with the comments that say why it is the way it is; the old
-- files are in git history (`git archive 1c9db17 dwh-control-sql/migrations` extracts them).
--
-- How it is applied (src/control/migrate.ts, squashed.json next to this file):
--   * a new warehouse (none of 0001..0190 recorded) runs this file like any other migration;
--   * a warehouse that recorded all of 0001..0190, each with the checksum squashed.json lists, is already in this
--     state: the migrator records this file as applied without running it ("baselined");
--   * a warehouse part-way through the old chain, or with a recorded checksum that differs, is refused before anything
--     runs: upgrade it with the previous package version first (which applies the old files up to 0190), then this one.
-- Equivalence was proved by applying the old chain and this file to fresh clusters and comparing pg_dump --schema-only,
-- the seeded rows, roles, memberships and default privileges (docs/control-schema.md, "Baseline").
--
-- Column order, constraint names, ACL order and seed-row order are those the old chain produced, so a baselined
-- warehouse and a new one dump identically. Statements that only repaired data or ownership left by older files on
-- existing warehouses (e.g. 0070's move of the 2000-01-01 watermark seed to '-infinity', 0090's re-owning of bronze
-- tables) have nothing to do on an empty database and are gone. Next migration: 0201.

-- ===============================================================================================================
-- Roles (execution manual §4 A "Role model", §12; issue 11, design doc §10.2 "Runs as"; docs/security.md).
-- ===============================================================================================================
-- Every role is NOLOGIN here and carries NO password: a DBA enables a stage's login outside the repository
-- (docs/control-schema.md, "Roles and passwords"), e.g. in psql:
--     ALTER ROLE dwh_etl LOGIN;  \password dwh_etl
-- The login is the stage role itself, not a member of it: tables it creates are then owned by the stage role and
-- reached by the default privileges below, whoever rotates the password.
--   dwh_owner       NOLOGIN, owns dwh_control, raw, intermediate, marts, staging, dbt, dwh_enrich and every control
--                   table, trigger and function. Never granted to a login; assert_roles() names any login that is a
--                   member of it. Migrations run as a superuser (the DBA), never as a node's login.
--   dwh_readonly    dashboards (Grafana, postgres_exporter): the registry, run logs and observability views, not raw.
--   dwh_raw_reader  raw.* holds the apps' PII as extracted. Design doc §8.1: "locked to the ETL service account + two
--                   named DBAs": raw read access is this role, granted only to the named DBAs.
--   dwh_etl         Watermark Extract, Blob Load Bronze, Enrich. Writes bronze rows and the extract run log; bronze
--                   DDL only through create_bronze_table / add_bronze_column; owns the Enrich reference tables.
--   dwh_compliance  Anonymise (builds, items, Forget Users, Rotate Salt): reads raw, writes intermediate.int_*,
--                   deletes forgotten users' rows, keeps the anonymise and RTBF logs. Member of dwh_etl, so a rebuild
--                   can recreate the Enrich views that read what it replaces.
--   dwh_transform   dbt Run: reads raw and intermediate, builds staging, marts and its own schema dbt.
--   dwh_pushback    Push Back: reads marts.* only, so a source query such as SELECT reverse(email) FROM
--                   raw.auth_db__users fails with "permission denied" from PostgreSQL itself (not from parsing the SQL).
--   n8n_etl         the first ETL login template (a member of dwh_owner until issue 11). It keeps no privilege and
--                   only its default privileges in raw; move its login to dwh_etl (docs/security.md).
-- What guards the pipeline stays enforced against every stage role because none owns it: the run-status and
-- watermark triggers cannot be disabled, schema_migrations cannot be written, raw cannot be re-granted.
--
-- Roles are cluster-wide: every warehouse (and every test database) on the cluster shares them, so creation is
-- guarded, and a concurrent migrator of another database winning the race is not an error.
DO $$
DECLARE
    r text;
    m record;
BEGIN
    FOREACH r IN ARRAY ARRAY['dwh_owner', 'dwh_readonly', 'n8n_etl', 'dwh_raw_reader',
                             'dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL; -- created by a concurrent migrator of another database on the cluster
            END;
        END IF;
    END LOOP;

    -- A warehouse on the same cluster migrated by an older package granted dwh_owner to n8n_etl (its 0002 did, on
    -- every warehouse it migrated): no login nor stage role keeps that membership. Locking pg_auth_members queues a
    -- concurrent migrator's GRANT behind this REVOKE instead of failing it with "tuple concurrently updated".
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

COMMENT ON ROLE dwh_owner IS 'DataAcuity warehouse: owns dwh_control and raw; NOLOGIN — grant it to login roles, never log in as it';
COMMENT ON ROLE dwh_readonly IS 'DataAcuity warehouse: reads the dwh_control registry, run log and observability views (not raw), writes nothing';
COMMENT ON ROLE n8n_etl IS 'DataAcuity warehouse: n8n ETL login template (member of dwh_owner); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_raw_reader IS 'DataAcuity warehouse: reads raw.* (PII, design doc §8.1); grant only to the named DBAs, never to dashboards';
COMMENT ON ROLE dwh_etl IS 'DataAcuity warehouse: Watermark Extract, Blob Load Bronze and Enrich (design §10.2 etl_user); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_transform IS 'DataAcuity warehouse: dbt Run (design §10.2 dwh_user); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_pushback IS 'DataAcuity warehouse: Push Back reads marts.* only (design §10.2 pushback_user); enable LOGIN and set its password outside the repository';
COMMENT ON ROLE dwh_compliance IS 'DataAcuity warehouse: Anonymise, Forget Users, Rotate Salt (design §10.2 compliance_user); enable LOGIN and set its password outside the repository';

-- ===============================================================================================================
-- Schemas and extensions. All schemas are owned by dwh_owner; stages get USAGE (and CREATE where they build tables)
-- at the end of this file. Applied by a DBA session (a superuser): ALTER ... OWNER and ALTER DEFAULT PRIVILEGES FOR
-- ROLE need it.
-- ===============================================================================================================
-- IF NOT EXISTS: the migrator creates dwh_control first (for schema_migrations), and a DBA may have made the others.
CREATE SCHEMA IF NOT EXISTS dwh_control;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS intermediate;
COMMENT ON SCHEMA intermediate IS 'Layer 2 (design doc §8.3): anonymised. Written only by the Anonymise node after a passing PII check.';
CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS dwh_enrich;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS dbt;
DO $$
DECLARE
    s text;
BEGIN
    FOREACH s IN ARRAY ARRAY['dwh_control', 'raw', 'intermediate', 'marts', 'dwh_enrich', 'staging', 'dbt'] LOOP
        EXECUTE format('ALTER SCHEMA %I OWNER TO dwh_owner', s);
        EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', s);
    END LOOP;
END
$$;

-- digest() and hmac() for the §6.2 hash. Trusted extension since PG 13: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
-- cube + earthdistance give a GiST index that answers "nearest place" by KNN (ORDER BY <-> LIMIT 1) instead of
-- a scan over every place. Both are trusted contrib extensions, so a database owner can create them.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- ===============================================================================================================
-- dwh_control: source registry, watermarks and the per-run log (execution manual §4 A, §7; design doc §5).
-- ===============================================================================================================
CREATE TABLE dwh_control.source_tables (
    table_name          text PRIMARY KEY,              -- bronze table in schema raw: <source_db>__<source_table>
    source_db           text NOT NULL,
    source_schema       text NOT NULL DEFAULT 'public',
    source_table        text NOT NULL,
    mode                text NOT NULL CHECK (mode IN ('incremental', 'snapshot')),
    load_strategy       text NOT NULL CHECK (load_strategy IN ('append', 'upsert', 'replace')),
    watermark_column    text,
    key_columns         text[] NOT NULL CHECK (cardinality(key_columns) > 0),
    cadence             interval NOT NULL,
    lookback            interval NOT NULL DEFAULT '0 seconds',
    safety_lag          interval NOT NULL DEFAULT '0 seconds',
    schema_drift_policy text NOT NULL DEFAULT 'add_nullable_columns'
                        CHECK (schema_drift_policy IN ('add_nullable_columns', 'fail')),
    excluded_columns    text[] NOT NULL DEFAULT '{}',
    enabled             boolean NOT NULL DEFAULT true,
    description         text NOT NULL DEFAULT '',
    registry_version    text,
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- A `timestamp without time zone` watermark column stores the local time of the sessions that write it. The
    -- extract compared it with timestamptz bounds in its own session zone (UTC), so rows written by sessions behind
    -- UTC looked hours old and fell below the watermark. The registry names the writers' zone; such a table is
    -- refused until it does (src/extract/extractTable.ts).
    watermark_time_zone text,
    -- Retention per layer (design doc §8.1: raw.* is kept 90 days; staging/intermediate/marts keep their history).
    -- The registry declares it (source-registry.json: "retention": {"raw_days": 90} and a per-table
    -- raw_retention_days override); registry-sync writes the effective number here. Only append (event) tables
    -- expire: an upsert table's row is the current state of its key, a snapshot is replaced on every load
    -- (docs/control-schema.md, "Retention").
    raw_retention_days  integer,
    -- What a reconcile repair does with bronze rows whose key was hard-deleted at the source: 'report' (only a
    -- finding), 'mark' (bronze gets _dwh_deleted_at), 'delete'.
    on_source_delete    text NOT NULL DEFAULT 'report',
    -- How often the scheduled reconcile (workflows/dwh-reconcile-scheduled.json) compares the table with its
    -- source; NULL: never on the schedule (snapshot tables, or opted out).
    reconcile_cadence   interval,
    UNIQUE (source_db, source_schema, source_table),
    CHECK ((mode = 'incremental') = (watermark_column IS NOT NULL)),
    CHECK ((mode = 'snapshot') = (load_strategy = 'replace')),
    CHECK (table_name ~ '^[a-z_][a-z0-9_]{0,62}$'),
    CONSTRAINT source_tables_watermark_time_zone_check CHECK (watermark_time_zone IS NULL OR watermark_column IS NOT NULL),
    CONSTRAINT source_tables_raw_retention_check
        CHECK (raw_retention_days IS NULL OR (raw_retention_days > 0 AND load_strategy = 'append')),
    CONSTRAINT source_tables_on_source_delete_check CHECK (on_source_delete IN ('report', 'mark', 'delete'))
);

CREATE TABLE dwh_control.extract_watermarks (
    table_name           text PRIMARY KEY REFERENCES dwh_control.source_tables (table_name) ON UPDATE CASCADE,
    -- Upper bound of the last loaded window, at full timestamptz (microsecond) precision. The first window of a table
    -- has no lower bound: '-infinity' is the seed and the reset target of a full reseed, and the extract reads
    -- `watermark_column <= upper` (no lower bound, '-infinity' stamps included) while the watermark is '-infinity'
    -- (the seed used to be 2000-01-01, so rows stamped before 1999-12-31 were never back-filled).
    last_extracted_at    timestamptz NOT NULL DEFAULT '-infinity',
    last_loaded_at       timestamptz,
    last_run_id          bigint,
    rows_loaded_last_run bigint,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dwh_control.extract_runs (
    run_id            bigserial PRIMARY KEY,
    table_name        text NOT NULL REFERENCES dwh_control.source_tables (table_name) ON UPDATE CASCADE,
    status            text NOT NULL CHECK (status IN ('extracting', 'uploaded', 'loading', 'loaded', 'failed', 'skipped')),
    mode              text NOT NULL,
    window_lower      timestamptz,
    window_upper      timestamptz,
    upper_capped_by   text,
    columns           text[],
    rows_extracted    bigint,
    rows_inserted     bigint,
    rows_updated      bigint,
    rows_unchanged    bigint,
    rows_deleted      bigint,
    csv_path          text,
    csv_bytes         bigint,
    csv_sha256        text,
    processed_path    text,
    csv_moved_at      timestamptz,
    error_message     text,
    skip_reason       text,
    run_started_at    timestamptz NOT NULL DEFAULT now(),
    extracted_at      timestamptz,
    load_started_at   timestamptz,
    run_finished_at   timestamptz,
    n8n_execution_id  text,
    -- The n8n execution that loaded the run (or last tried to), beside the one that extracted it: when a load is
    -- replayed by hand from the dwh-load-bronze workflow, the run log must say which execution did it.
    load_execution_id text,
    -- Two limits of a watermark window that lost rows without a word, counted and alerted (v_extract_alerts):
    --   rows_without_watermark   (extract) source rows whose watermark column is NULL or 'infinity': no window reaches them
    --   rows_changed_same_stamp  (load) re-read rows whose content changed while their watermark stayed the same:
    --                            changes the source makes after the lookback are never extracted (and append keeps
    --                            the first version)
    rows_without_watermark  bigint,
    rows_changed_same_stamp bigint,
    -- The smallest watermark value among the rows the load inserted or updated: a row's commit comes after its own
    -- stamp, and after the previous window's upper bound, which bounds push_freshness.oldest_commit_after.
    oldest_changed_stamp timestamptz
);

-- At most one in-flight run per table. A concurrent extract hits this index and records itself as 'skipped'.
CREATE UNIQUE INDEX extract_runs_one_in_flight
    ON dwh_control.extract_runs (table_name)
    WHERE status IN ('extracting', 'uploaded', 'loading');

CREATE INDEX extract_runs_table_started
    ON dwh_control.extract_runs (table_name, run_started_at DESC);

CREATE INDEX extract_runs_unmoved
    ON dwh_control.extract_runs (table_name)
    WHERE status = 'loaded' AND csv_moved_at IS NULL;

-- The observability views read the 24-hour failures through this (the log grows by ~6k runs a day).
CREATE INDEX extract_runs_failed_started
    ON dwh_control.extract_runs (run_started_at DESC)
    WHERE status = 'failed';

-- The run log is an audit trail: only forward transitions are legal. A failed run may be re-loaded by hand
-- (failed -> loading), nothing ever leaves 'loaded' or 'skipped'.
CREATE OR REPLACE FUNCTION dwh_control.check_run_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NOT (
        (OLD.status = 'extracting' AND NEW.status IN ('uploaded', 'failed', 'skipped'))
        OR (OLD.status = 'uploaded' AND NEW.status IN ('loading', 'failed'))
        OR (OLD.status = 'loading' AND NEW.status IN ('loaded', 'failed'))
        OR (OLD.status = 'failed' AND NEW.status = 'loading')
    ) THEN
        RAISE EXCEPTION 'extract run % of %: illegal status change % -> %', OLD.run_id, OLD.table_name, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER extract_runs_transition
    BEFORE UPDATE OF status ON dwh_control.extract_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.check_run_transition();

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
CREATE TRIGGER extract_watermarks_forward
    BEFORE UPDATE ON dwh_control.extract_watermarks
    FOR EACH ROW EXECUTE FUNCTION dwh_control.guard_watermark();

-- The run log: a run starts as 'extracting' (or is recorded 'skipped'); status changes follow check_run_transition
-- (above); a finished run ('loaded', 'skipped') is an audit record: only the CSV move after the load may still set
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
CREATE TRIGGER extract_runs_guard
    BEFORE INSERT OR UPDATE ON dwh_control.extract_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.guard_extract_run();
-- Ownership and read access. Read-only: the registry, watermarks and run log (Grafana's row-count panel reads
-- extract_runs, manual §4 F). Named tables only in dwh_control — later areas keep secrets there (e.g. the salt
-- register), so there is deliberately no ALTER DEFAULT PRIVILEGES for dwh_control. Nobody but the owner writes to
-- the control tables (PUBLIC has no table privileges by default; made explicit).
ALTER TABLE dwh_control.source_tables OWNER TO dwh_owner;
ALTER TABLE dwh_control.extract_watermarks OWNER TO dwh_owner;
ALTER TABLE dwh_control.extract_runs OWNER TO dwh_owner;
ALTER TABLE dwh_control.schema_migrations OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.check_run_transition() OWNER TO dwh_owner;
GRANT USAGE ON SCHEMA dwh_control TO dwh_readonly;
GRANT SELECT ON dwh_control.source_tables, dwh_control.extract_watermarks, dwh_control.extract_runs,
    dwh_control.schema_migrations TO dwh_readonly;
REVOKE ALL ON dwh_control.source_tables, dwh_control.extract_watermarks, dwh_control.extract_runs,
    dwh_control.schema_migrations FROM PUBLIC;

-- raw.* holds the apps' PII as extracted (design doc §8.1): only dwh_raw_reader (the named DBAs) and the stages
-- (granted at the end of this file) read it; dwh_readonly sees that data arrived, nothing of what it says. Bronze
-- tables are created at run time through create_bronze_table (owned by dwh_owner); the superuser's, dwh_owner's and
-- the old n8n_etl template's future tables in raw are readable by dwh_raw_reader.
GRANT USAGE ON SCHEMA raw TO dwh_raw_reader;
ALTER DEFAULT PRIVILEGES IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_raw_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_raw_reader;
ALTER DEFAULT PRIVILEGES FOR ROLE n8n_etl IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_raw_reader;

-- ===============================================================================================================
-- Observability contract (execution manual §7, design doc §11.2). Every registered table appears in
-- v_table_freshness and v_watermark_lag, loaded or not, so a table that never ran is visible instead of absent.
-- Thresholds are multiples of each table's own cadence: §11.2 pages when an extract "hasn't run in >2× expected
-- interval", so 'late' starts there; 'stale' (> 4× cadence) means at least three schedule ticks produced nothing.
-- At the §5 cadences the run log grows by ~6k runs a day (two million a year), so the views read only what they
-- show: the last load time from extract_watermarks (written in the same transaction as the loaded run), the 24-hour
-- counts and failures through indexes on run_started_at.
-- ===============================================================================================================
CREATE OR REPLACE VIEW dwh_control.v_table_freshness AS
SELECT s.table_name,
       s.source_db,
       s.mode,
       s.enabled,
       s.cadence,
       w.last_loaded_at,
       now() - w.last_loaded_at AS lag,
       coalesce(d.loads_last_24h, 0) AS loads_last_24h,
       CASE
           WHEN NOT s.enabled THEN 'disabled'
           WHEN w.last_loaded_at IS NULL THEN 'never_loaded'
           WHEN now() - w.last_loaded_at <= 2 * s.cadence THEN 'ok'
           WHEN now() - w.last_loaded_at <= 4 * s.cadence THEN 'late'
           ELSE 'stale'
       END AS freshness_status
  FROM dwh_control.source_tables s
  LEFT JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN LATERAL (
        SELECT count(*) AS loads_last_24h
          FROM dwh_control.extract_runs r
         WHERE r.table_name = s.table_name
           AND r.run_started_at > now() - interval '24 hours'
           AND r.status = 'loaded') d ON true;

COMMENT ON VIEW dwh_control.v_table_freshness IS
    'Per registered table: time since the last loaded run vs its cadence. freshness_status: ok (<= 2x cadence), late (<= 4x), stale (> 4x), never_loaded, disabled';

-- Failed runs of the last 24 hours, newest first; zero rows = healthy. `recovered` says a later run of the same
-- table has loaded since (the failed window was retried), so an alert can tell "still broken" from "healed".
CREATE OR REPLACE VIEW dwh_control.v_recent_failures AS
SELECT r.run_id,
       r.table_name,
       s.source_db,
       r.mode,
       r.window_lower,
       r.window_upper,
       r.csv_path,
       r.error_message,
       r.run_started_at,
       r.run_finished_at,
       r.n8n_execution_id,
       EXISTS (SELECT 1
                 FROM dwh_control.extract_runs later
                WHERE later.table_name = r.table_name
                  AND later.run_started_at > r.run_started_at
                  AND later.status = 'loaded') AS recovered
  FROM dwh_control.extract_runs r
  JOIN dwh_control.source_tables s USING (table_name)
 WHERE r.status = 'failed'
   -- Index range first (no run lasts a week), then the exact "failed in the last 24 hours".
   AND r.run_started_at > now() - interval '7 days'
   AND coalesce(r.run_finished_at, r.run_started_at) > now() - interval '24 hours'
 ORDER BY r.run_started_at DESC, r.run_id DESC;

COMMENT ON VIEW dwh_control.v_recent_failures IS
    'Runs with status failed in the last 24 hours, with their error text; recovered = a later run of the table has loaded';

-- Watermark vs clock. extract_lag = now() - watermark (how far behind the source the warehouse is); load_lag = time
-- since the last load committed. `state` tells "nothing to extract" (idle) from "stuck": an in-flight run older than
-- 2x cadence is stuck (crashed executor, execution manual §11).
-- extract_lag of a table not read yet is NULL: now() - '-infinity' is an error before PostgreSQL 17.
CREATE OR REPLACE VIEW dwh_control.v_watermark_lag AS
SELECT s.table_name,
       s.source_db,
       s.mode,
       s.enabled,
       s.cadence,
       s.safety_lag,
       w.last_extracted_at,
       w.last_loaded_at,
       w.last_run_id,
       w.rows_loaded_last_run,
       CASE WHEN isfinite(w.last_extracted_at) THEN now() - w.last_extracted_at END AS extract_lag,
       now() - w.last_loaded_at AS load_lag,
       f.run_id AS in_flight_run_id,
       f.status AS in_flight_status,
       f.run_started_at AS in_flight_since,
       CASE
           WHEN f.run_id IS NOT NULL AND now() - f.run_started_at > 2 * s.cadence THEN 'stuck'
           WHEN f.run_id IS NOT NULL THEN 'running'
           WHEN w.last_loaded_at IS NULL THEN 'never_loaded'
           WHEN w.rows_loaded_last_run = 0 THEN 'idle'
           ELSE 'ok'
       END AS state
  FROM dwh_control.source_tables s
  LEFT JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN dwh_control.extract_runs f
         ON f.table_name = s.table_name AND f.status IN ('extracting', 'uploaded', 'loading');

COMMENT ON VIEW dwh_control.v_watermark_lag IS
    'Per registered table: watermark, extract_lag = now() - watermark (NULL while nothing was read), load_lag, in-flight run; state: ok, idle (last run loaded 0 rows), running, stuck (in flight > 2x cadence), never_loaded';


-- ===============================================================================================================
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

-- The roles exist and hold what the role model says (docs/security.md): the stage roles exist, dwh_owner cannot
-- log in and no login (nor stage role) is a member of it, dwh_owner owns the control schema, the read-only role can
-- read what dashboards need, cannot write, and reads no raw table (a bronze table created by a role whose default
-- privileges still grant it, or a hand-made GRANT, is named with the fix).
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

-- ===============================================================================================================
-- Runbook operation (execution manual §11 "Back-fill a window" / "Full reseed") as a guarded function. The manual's
-- bare UPDATE loses the reset when a run is in flight: that run read the old watermark and its load advances the
-- watermark with greatest(watermark, its upper), silently undoing the reset. This function refuses instead.
--
-- It takes the pipeline's per-table advisory lock (same key as src/control/tableLock.ts:
-- hashtext('dwh_control.table_pipeline'), hashtext(<table>)) for its transaction, so no extract or load of the
-- table can start while it checks and writes.
-- The watermark guard lets it move a watermark back because it runs as its owner (SECURITY DEFINER): every
-- CREATE OR REPLACE of it must say SECURITY DEFINER again.
CREATE OR REPLACE FUNCTION dwh_control.reset_watermark(p_table text, p_to timestamptz DEFAULT '-infinity')
RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t record;
    busy record;
    previous timestamptz;
BEGIN
    SELECT s.table_name, s.mode INTO t FROM dwh_control.source_tables s WHERE s.table_name = p_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'table % is not in dwh_control.source_tables', p_table
            USING ERRCODE = 'no_data_found', HINT = 'Use the bronze name <source_db>__<table>, e.g. auth_db__users.';
    END IF;
    IF t.mode = 'snapshot' THEN
        RAISE EXCEPTION '% is a snapshot table: every run re-reads it whole, so there is no watermark to reset', p_table
            USING ERRCODE = 'feature_not_supported';
    END IF;
    IF p_to IS NULL OR p_to > now() THEN
        RAISE EXCEPTION 'reset_watermark(%): the new watermark must be a time in the past, got %', p_table, coalesce(p_to::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT pg_try_advisory_xact_lock(hashtext('dwh_control.table_pipeline'), hashtext(p_table)) THEN
        RAISE EXCEPTION '% is being extracted or loaded right now; reset its watermark when that execution has finished', p_table
            USING ERRCODE = 'lock_not_available';
    END IF;
    SELECT r.run_id, r.status INTO busy
      FROM dwh_control.extract_runs r
     WHERE r.table_name = p_table AND r.status IN ('extracting', 'uploaded', 'loading');
    IF FOUND THEN
        RAISE EXCEPTION '% has run % in status %: its load would move the watermark forward again', p_table, busy.run_id, busy.status
            USING ERRCODE = 'object_in_use',
                  HINT = 'Load that run (BlobLoadBronze) or let the next extract abandon it, then reset.';
    END IF;
    SELECT w.last_extracted_at INTO previous FROM dwh_control.extract_watermarks w WHERE w.table_name = p_table FOR UPDATE;
    INSERT INTO dwh_control.extract_watermarks AS w (table_name, last_extracted_at, updated_at)
    VALUES (p_table, p_to, now())
    ON CONFLICT (table_name) DO UPDATE SET last_extracted_at = EXCLUDED.last_extracted_at, updated_at = now();
    RAISE NOTICE '%: watermark % -> %; the next run re-extracts everything after it (ON CONFLICT keeps the load idempotent)', p_table, previous, p_to;
    RETURN previous;
END
$$;

ALTER FUNCTION dwh_control.reset_watermark(text, timestamptz) OWNER TO dwh_owner;
-- Operators run it as a member of dwh_owner (a DBA) or as dwh_etl (granted below), never as the read-only role.
REVOKE ALL ON FUNCTION dwh_control.reset_watermark(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dwh_control.reset_watermark(text, timestamptz) TO dwh_owner;

-- ===============================================================================================================
-- Anonymise (design doc §6, §8.3): the SQL twins of src/anonymise/generalise.ts, the IP → city/country lookup, the
-- per-run log (with the salt version of every salt type used) and the register of active salt versions.
-- ===============================================================================================================
-- date_part('year', age()) counts full years field by field, so 29 Feb birthdays turn a year older on 1 Mar in
-- non-leap years; src/anonymise/generalise.ts ageBand() does the same.
CREATE OR REPLACE FUNCTION dwh_control.age_band(dob date, as_of date) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN dob IS NULL THEN NULL
        WHEN a < 18 THEN '<18'
        WHEN a < 25 THEN '18-24'
        WHEN a < 35 THEN '25-34'
        WHEN a < 45 THEN '35-44'
        WHEN a < 55 THEN '45-54'
        WHEN a < 65 THEN '55-64'
        ELSE '65+'
    END
    FROM (SELECT date_part('year', age(as_of, dob))::int AS a) x
$$;

CREATE OR REPLACE FUNCTION dwh_control.postcode_area(postcode text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT nullif(left(regexp_replace(postcode, '[^0-9]', '', 'g'), 4), '')
$$;

CREATE OR REPLACE FUNCTION dwh_control.device_class(ua text, android_recent_from int, ios_recent_from int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN ua IS NULL OR btrim(ua) = '' THEN NULL
        WHEN l ~ 'android' THEN
            CASE WHEN coalesce(substring(l FROM 'android[ /]?([0-9]+)')::int, 0) >= android_recent_from
                 THEN 'Android-recent' ELSE 'Android-old' END
        WHEN l ~ '(iphone|ipad|ipod|ios)' THEN
            CASE WHEN coalesce(substring(l FROM '(?:iphone os|cpu os|ios)[ /]?([0-9]+)')::int, 0) >= ios_recent_from
                 THEN 'iOS-recent' ELSE 'iOS-old' END
        WHEN l ~ '(mozilla|chrome|safari|firefox|edge|opera|web)' THEN 'Web'
        ELSE 'Other'
    END
    FROM (SELECT lower(ua) AS l) x
$$;

-- A text column holding something that is not an address must not fail a whole rebuild.
CREATE OR REPLACE FUNCTION dwh_control.try_inet(v text) RETURNS inet
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN v::inet;
EXCEPTION WHEN others THEN
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION dwh_control.address_parts(addr text, countries text[], default_country text,
                                                     OUT city text, OUT country text)
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    parts text[];
    n int;
BEGIN
    IF addr IS NULL THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(p ORDER BY o), '{}') INTO parts
      FROM (SELECT btrim(x, E' \t\r\n') AS p, o FROM unnest(string_to_array(addr, ',')) WITH ORDINALITY u(x, o)) s
     WHERE p <> '' AND p !~ '[0-9]';
    n := cardinality(parts);
    country := default_country;
    IF n > 0 AND lower(parts[n]) IN (SELECT lower(c) FROM unnest(countries) c) THEN
        country := parts[n];
        n := n - 1;
    END IF;
    IF n > 0 THEN
        city := parts[n];
    END IF;
END
$$;

-- IP → city/country for the ip_geo rule (design doc §6.4). Deliberately small and operator-maintained (e.g. the
-- country/city blocks of a licensed GeoIP CSV, or the ISP ranges ops care about); an IP without a match gets NULL
-- city and country. The longest matching prefix wins.
CREATE TABLE dwh_control.ip_geo_ranges (
    network    cidr PRIMARY KEY,
    city       text,
    country    text NOT NULL,
    source     text NOT NULL DEFAULT 'manual',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ip_geo_ranges_network ON dwh_control.ip_geo_ranges USING gist (network inet_ops);

-- Which salt version of each salt type is live. Hash outputs only change through the Rotate Salt operation (a
-- new version added to the credential does nothing until then), so cross-source joins never break mid-year.
CREATE TABLE dwh_control.anonymise_salts (
    salt_type      text PRIMARY KEY CHECK (salt_type ~ '^[a-z_][a-z0-9_]{0,62}$'),
    active_version integer NOT NULL CHECK (active_version > 0),
    -- sha256 of a prefix + the salt, 16 hex: notices a credential whose salt for this version was changed.
    fingerprint    text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{16}$'),
    activated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dwh_control.salt_rotations (
    rotation_id      bigserial PRIMARY KEY,
    salt_type        text NOT NULL,
    from_version     integer,
    to_version       integer NOT NULL,
    tables_rebuilt   text[] NOT NULL DEFAULT '{}',
    rotated_at       timestamptz NOT NULL DEFAULT now(),
    rotated_by       text NOT NULL DEFAULT session_user,
    n8n_execution_id text
);

CREATE TABLE dwh_control.anonymise_runs (
    run_id            bigserial PRIMARY KEY,
    source_db         text NOT NULL,
    source_table      text NOT NULL,
    input_relation    text NOT NULL,
    output_relation   text NOT NULL,
    -- 'items': Anonymise Items (n8n items, not a relation) is logged here too: which policy version and salt versions
    -- anonymised how many rows for which execution, so the audit trail covers every path personal data takes through
    -- the compliance gate, not only the set-based builds. Input and output relations are 'n8n items'; rows_in -
    -- rows_out are the rows dropped because their subject was forgotten. 'incremental': a build that merged an
    -- increment (src/anonymise/incrementalBuild.ts).
    mode              text NOT NULL CONSTRAINT anonymise_runs_mode_check CHECK (mode IN ('set', 'rotation', 'items', 'incremental')),
    status            text NOT NULL CHECK (status IN ('running', 'published', 'blocked', 'failed')),
    policy_version    text NOT NULL,
    policy_sha256     text,
    -- {"users": 2, "devices": 1}: the salt version each salt type was hashed with in this run.
    salt_versions     jsonb NOT NULL DEFAULT '{}',
    as_of_date        date NOT NULL,
    rows_in           bigint,
    rows_out          bigint,
    tokens_issued     bigint,
    -- [{table, column, detector, kind, sampleCount}] — never values.
    pii_findings      jsonb,
    error_message     text,
    run_started_at    timestamptz NOT NULL DEFAULT now(),
    run_finished_at   timestamptz,
    n8n_execution_id  text,
    -- Incremental set-mode builds: each published build records the highest bronze _dwh_run_id it read (read before
    -- the build, so everything up to it is in the build), so the next build can anonymise only what was loaded since;
    -- build_note says why a requested incremental build was a full one.
    input_watermark   bigint,
    build_note        text,
    -- Loaded extract runs of the input table with run_id <= input_watermark when the build read it: if that number
    -- grows, an older run was loaded since (a CSV replayed by hand), its rows carry a run id below the watermark, and
    -- only a full rebuild picks them up.
    input_loaded_runs bigint
);
CREATE INDEX anonymise_runs_output_started ON dwh_control.anonymise_runs (output_relation, run_started_at DESC);

CREATE OR REPLACE FUNCTION dwh_control.check_anonymise_run_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> OLD.status AND OLD.status <> 'running' THEN
        RAISE EXCEPTION 'anonymise run % of %: illegal status change % -> %', OLD.run_id, OLD.output_relation, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER anonymise_runs_transition
    BEFORE UPDATE OF status ON dwh_control.anonymise_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.check_anonymise_run_transition();

-- Right-to-be-forgotten audit (design doc §6.7 POPIA/GDPR, §6.8): one request per forgotten person and one action
-- row per relation touched, so the 30-day SLA can be shown to an auditor. No user id is stored: the person is
-- identified by subject_hmac (HMAC-SHA256 of 'subject:' || user_id under the anonymisation-secrets HMAC key), which
-- compliance can recompute for a given id but nobody can reverse.
CREATE TABLE dwh_control.rtbf_requests (
    request_id       bigserial PRIMARY KEY,
    subject_hmac     text NOT NULL CHECK (subject_hmac ~ '^[0-9a-f]{64}$'),
    -- When the person asked (users.deleted_at at the source when known, else when the operation ran).
    requested_at     timestamptz NOT NULL,
    started_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    status           text NOT NULL CHECK (status IN ('running', 'completed', 'partial', 'failed')),
    requested_by     text NOT NULL DEFAULT session_user,
    reason           text,
    error_message    text,
    n8n_execution_id text
);
CREATE INDEX rtbf_requests_subject ON dwh_control.rtbf_requests (subject_hmac);

-- Forget Users removes the person from every relation that carries their hash (raw/staging, the policies' own
-- intermediate outputs, Enrich's enr_*, marts, analytics_db's push targets — found in the catalog) and keeps legally
-- held records unlinked (issue 12). The audit names each place with its count:
--   deleted / absent / vault_purged / view_follows_raw   rows removed, nothing found, token vault purged, a raw view
--   unlinked       the person's hash set to NULL in a row that belongs to someone else (a payment's receiver)
--   held_unlinked  legal hold (design doc §6.7, FICA): the anonymised record is kept, its subject hash set to NULL
--   view_follows   a view outside raw/staging: it shows its base tables, from which the person was deleted
--   refreshed      a materialized view refreshed after its base tables lost the person
-- and `note` says why (the hold's basis and until when, the database of a place outside the warehouse).
CREATE TABLE dwh_control.rtbf_actions (
    action_id     bigserial PRIMARY KEY,
    request_id    bigint NOT NULL REFERENCES dwh_control.rtbf_requests (request_id),
    relation      text NOT NULL,          -- raw.auth_db__users, staging.stg_auth_db__users, intermediate.int_…, compliance.token_vault
    action        text NOT NULL CHECK (action IN ('deleted', 'view_follows_raw', 'absent', 'vault_purged', 'unlinked', 'held_unlinked', 'view_follows', 'refreshed')),
    rows_affected bigint NOT NULL DEFAULT 0,
    acted_at      timestamptz NOT NULL DEFAULT now(),
    note          text
);
CREATE INDEX rtbf_actions_request ON dwh_control.rtbf_actions (request_id);

-- Every forgotten subject. Anonymise rebuilds skip rows whose subject is listed here, so a person cannot come back
-- through a later snapshot extract of a source that still holds their soft-deleted row.
CREATE TABLE dwh_control.rtbf_subjects (
    subject_hmac   text PRIMARY KEY CHECK (subject_hmac ~ '^[0-9a-f]{64}$'),
    forgotten_at   timestamptz NOT NULL DEFAULT now(),
    first_request  bigint REFERENCES dwh_control.rtbf_requests (request_id)
);

-- The SLA view: days from request to completion (or to now while open); breached after 30 days.
CREATE OR REPLACE VIEW dwh_control.rtbf_sla AS
SELECT r.request_id,
       r.subject_hmac,
       r.requested_at,
       r.completed_at,
       r.status,
       round(extract(epoch FROM coalesce(r.completed_at, now()) - r.requested_at) / 86400.0, 2) AS days_open,
       coalesce(r.completed_at, now()) - r.requested_at > interval '30 days' AS sla_breached,
       (SELECT count(*) FROM dwh_control.rtbf_actions a WHERE a.request_id = r.request_id) AS actions,
       (SELECT coalesce(sum(a.rows_affected), 0) FROM dwh_control.rtbf_actions a WHERE a.request_id = r.request_id) AS rows_removed
  FROM dwh_control.rtbf_requests r;

-- Ownership and read access: the owner role owns them, the read-only role sees the run log and the RTBF audit
-- (Grafana's compliance panels) but not the salt register. intermediate.* tables are created per run by the stage
-- logins; who may read them is granted at the end of this file (docs/anonymise.md).
ALTER TABLE dwh_control.ip_geo_ranges OWNER TO dwh_owner;
ALTER TABLE dwh_control.anonymise_salts OWNER TO dwh_owner;
ALTER TABLE dwh_control.salt_rotations OWNER TO dwh_owner;
ALTER TABLE dwh_control.anonymise_runs OWNER TO dwh_owner;
ALTER TABLE dwh_control.rtbf_requests OWNER TO dwh_owner;
ALTER TABLE dwh_control.rtbf_actions OWNER TO dwh_owner;
ALTER TABLE dwh_control.rtbf_subjects OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.age_band(date, date) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.postcode_area(text) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.device_class(text, int, int) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.try_inet(text) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.address_parts(text, text[], text) OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.check_anonymise_run_transition() OWNER TO dwh_owner;

GRANT SELECT ON dwh_control.anonymise_runs, dwh_control.salt_rotations, dwh_control.rtbf_requests,
    dwh_control.rtbf_actions TO dwh_readonly;
REVOKE ALL ON dwh_control.anonymise_salts, dwh_control.rtbf_subjects FROM PUBLIC;

-- ===============================================================================================================
-- Enrichment reference data (design doc §7): holidays, daily FX rates, places for reverse geocoding, and the
-- helpers the set-based enrichment SQL relies on. Enrich (dwh_etl) owns the reference tables and loads them; the
-- schemas stay dwh_owner's.
-- ===============================================================================================================
-- §7.2: one row per (country, date, holiday). type follows date-holidays: public / bank / optional / observance.
-- is_substitute marks the day a holiday moved to (ZA: a Sunday holiday is observed on the Monday).
CREATE TABLE marts.dim_holidays (
	country_code  text NOT NULL CHECK (country_code ~ '^[A-Z]{2}$'),
	holiday_date  date NOT NULL,
	name          text NOT NULL,
	holiday_type  text NOT NULL,
	is_substitute boolean NOT NULL DEFAULT false,
	source        text NOT NULL,
	loaded_at     timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (country_code, holiday_date, name)
);

-- §7.3: units of `currency` that one ZAR buys on rate_date. ZAR is the warehouse's base currency, so any amount
-- converts with at most two lookups (to ZAR, then out of ZAR).
CREATE TABLE marts.dim_fx_rates_daily (
	currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	rate_date     date NOT NULL,
	units_per_zar numeric NOT NULL CHECK (units_per_zar > 0),
	source        text NOT NULL,
	fetched_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (currency, rate_date)
);

-- §7.1 (the design's geo_db.geonames): GeoNames populated places. pt is ll_to_earth(lat, lng), stored so the GiST
-- index serves KNN directly.
CREATE TABLE marts.dim_places (
	geoname_id   bigint PRIMARY KEY,
	name         text NOT NULL,
	country_code text NOT NULL,
	admin1_code  text NOT NULL DEFAULT '',
	admin2_code  text NOT NULL DEFAULT '',
	feature_code text NOT NULL DEFAULT '',
	population   bigint NOT NULL DEFAULT 0,
	timezone     text NOT NULL DEFAULT '',
	lat          double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
	lng          double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
	pt           earth NOT NULL,
	source       text NOT NULL
);
CREATE INDEX dim_places_pt_gist ON marts.dim_places USING gist (pt);

-- GeoNames admin1CodesASCII.txt / admin2Codes.txt: 'ZA.06' -> Gauteng, 'ZA.06.JHB' -> City of Johannesburg.
CREATE TABLE marts.dim_admin_divisions (
	code   text PRIMARY KEY,
	name   text NOT NULL,
	level  smallint NOT NULL CHECK (level IN (1, 2)),
	source text NOT NULL
);

-- Geo HTTP service (geo_mcp) answers, keyed by the point asked about; expires by fetched_at + the caller's TTL.
CREATE TABLE dwh_enrich.geo_service_cache (
	lat        double precision NOT NULL,
	lng        double precision NOT NULL,
	city       text,
	admin1     text,
	admin2     text,
	country    text,
	fetched_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (lat, lng)
);

-- §7.5 funnel_position: a running state machine over a user's ordered events. The state advances from step n to
-- n+1 only when the event is step n+1, so steps out of order never count and the position never goes back.
CREATE OR REPLACE FUNCTION dwh_enrich.funnel_advance(state integer, step integer) RETURNS integer
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	AS $$ SELECT CASE WHEN step = state + 1 THEN step ELSE state END $$;
CREATE AGGREGATE dwh_enrich.funnel_position(integer) (
	SFUNC = dwh_enrich.funnel_advance,
	STYPE = integer,
	INITCOND = '0'
);

ALTER TABLE marts.dim_holidays OWNER TO dwh_etl;
ALTER TABLE marts.dim_fx_rates_daily OWNER TO dwh_etl;
ALTER TABLE marts.dim_places OWNER TO dwh_etl;
ALTER TABLE marts.dim_admin_divisions OWNER TO dwh_etl;
ALTER TABLE dwh_enrich.geo_service_cache OWNER TO dwh_etl;
ALTER FUNCTION dwh_enrich.funnel_advance(integer, integer) OWNER TO dwh_owner;
ALTER AGGREGATE dwh_enrich.funnel_position(integer) OWNER TO dwh_owner;

-- ===============================================================================================================
-- Push Back (design doc §9.3): one row per push of a target into analytics_db, with counts and errors.
-- ===============================================================================================================
CREATE TABLE dwh_control.push_runs (
    push_run_id         bigserial PRIMARY KEY,
    target_name         text NOT NULL,                 -- e.g. tagme.user_summary (ready-made) or a custom name
    target_relation     text NOT NULL,                 -- <schema>.<table> in analytics_db
    source_description  text NOT NULL,                 -- marts.<relation> or 'query'
    mode                text NOT NULL CHECK (mode IN ('mirror', 'upsert')),
    status              text NOT NULL CHECK (status IN ('running', 'pushed', 'failed', 'skipped')),
    k                   integer,
    group_size_column   text,
    table_created       boolean NOT NULL DEFAULT false,
    rows_staged         bigint,
    rows_inserted       bigint,
    rows_updated        bigint,
    rows_unchanged      bigint,
    rows_deleted        bigint,
    rows_suppressed     bigint,
    rows_suppressed_removed bigint,
    error_message       text,
    skip_reason         text,
    run_started_at      timestamptz NOT NULL DEFAULT now(),
    lock_acquired_at    timestamptz,
    run_finished_at     timestamptz,
    n8n_execution_id    text
);

-- The run-log guard: at most one push of a target relation in flight. The advisory lock on analytics_db decides
-- who runs; this index makes a second writer fail loudly even if it bypassed the lock.
CREATE UNIQUE INDEX push_runs_one_running
    ON dwh_control.push_runs (target_relation)
    WHERE status = 'running';

CREATE INDEX push_runs_target_started
    ON dwh_control.push_runs (target_name, run_started_at DESC);

-- Only forward transitions: a finished run is an audit record.
CREATE OR REPLACE FUNCTION dwh_control.check_push_run_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = OLD.status THEN
        RETURN NEW;
    END IF;
    IF NOT (OLD.status = 'running' AND NEW.status IN ('pushed', 'failed')) THEN
        RAISE EXCEPTION 'push run % of %: illegal status change % -> %', OLD.push_run_id, OLD.target_name, OLD.status, NEW.status
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER push_runs_transition
    BEFORE UPDATE OF status ON dwh_control.push_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.check_push_run_transition();

-- Last run per target, for List Targets and dashboards.
CREATE OR REPLACE VIEW dwh_control.push_target_status AS
SELECT DISTINCT ON (target_name)
       target_name, target_relation, push_run_id AS last_run_id, status AS last_status, run_started_at AS last_started_at,
       run_finished_at AS last_finished_at, rows_inserted, rows_updated, rows_deleted, rows_unchanged, rows_suppressed,
       error_message AS last_error
  FROM dwh_control.push_runs
 ORDER BY target_name, run_started_at DESC, push_run_id DESC;

-- Ownership and read access as for the other control tables: the owner writes, dwh_readonly reads (Grafana's push
-- panel), PUBLIC gets nothing.
ALTER TABLE dwh_control.push_runs OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.check_push_run_transition() OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.push_runs FROM PUBLIC;
GRANT SELECT ON dwh_control.push_runs TO dwh_readonly;

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

-- ===============================================================================================================
-- dbt (issues 7, 11, 15).
-- ===============================================================================================================
-- Incident rerun de-duplication (issue 7): Wolverine may deliver the same incident twice (retries, two people
-- pressing "rerun"); within the window only the first request starts a dbt run. See src/webhook/incidentClaim.ts.

CREATE TABLE dwh_control.dbt_incident_claims (
    incident_id        text PRIMARY KEY,
    severity           text NOT NULL,
    -- The dbt selection the claim started, for the audit trail.
    selection          text[] NOT NULL,
    claimed_at         timestamptz NOT NULL DEFAULT now(),
    claim_count        integer NOT NULL DEFAULT 1,
    duplicates_refused integer NOT NULL DEFAULT 0,
    n8n_execution_id   text
);

-- dbt run log: one row per writing dbt Core run (build, run, seed, retry) started by the DbtRun node, so the DBA who
-- is paged can see what ran, when, what it selected and how it ended without opening n8n. Written by
-- src/dbt/dbtRunLog.ts on the connection that holds the project lock: 'running' before dbt starts, the outcome when
-- it exits. A run still 'running' when the next run of its project takes the lock lost its executor (the lock
-- proves nobody else is running): that next run marks it 'error' ("abandoned: …").
CREATE TABLE dwh_control.dbt_runs (
    run_id           text PRIMARY KEY,              -- the summary's runId (also the artifacts directory name)
    project          text NOT NULL,
    command          text NOT NULL,
    selection        text[] NOT NULL DEFAULT '{}',  -- --select, or the selector as 'selector:<name>'
    exclusion        text[] NOT NULL DEFAULT '{}',
    full_refresh     boolean NOT NULL DEFAULT false,
    retry_of         text,                          -- for command 'retry': the artifacts directory it retried
    status           text NOT NULL CHECK (status IN ('running', 'success', 'failed', 'error')),
    exit_code        integer,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    elapsed_s        numeric(12, 3),
    node_count       integer,
    counts           jsonb,                         -- node count per dbt status, e.g. {"success": 5, "pass": 30}
    invocation_id    text,
    dbt_version      text,
    artifacts_dir    text,                          -- pass as retryOf to retry the run
    error_message    text,
    n8n_execution_id text,
    CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX dbt_runs_started_idx ON dwh_control.dbt_runs (started_at DESC);
CREATE INDEX dbt_runs_running_idx ON dwh_control.dbt_runs (project) WHERE status = 'running';

-- Failed and errored runs of the last 7 days, and whether they were recovered: a later successful run of the same
-- command and selection, or a successful `retry` of this very run.
CREATE OR REPLACE VIEW dwh_control.v_dbt_recent_failures AS
SELECT r.run_id, r.project, r.command, r.selection, r.exclusion, r.status, r.started_at, r.finished_at,
       r.error_message, r.artifacts_dir, r.n8n_execution_id,
       EXISTS (SELECT 1 FROM dwh_control.dbt_runs l
                WHERE l.project = r.project AND l.command = r.command AND l.selection = r.selection
                  AND l.exclusion = r.exclusion AND l.status = 'success' AND l.started_at > r.started_at)
       OR EXISTS (SELECT 1 FROM dwh_control.dbt_runs l
                   WHERE l.status = 'success' AND l.retry_of IN (r.artifacts_dir, r.artifacts_dir || '/target')) AS recovered
  FROM dwh_control.dbt_runs r
 WHERE r.status IN ('failed', 'error') AND r.started_at > now() - interval '7 days';

ALTER TABLE dwh_control.dbt_runs OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.dbt_runs FROM PUBLIC;
GRANT SELECT ON dwh_control.dbt_runs TO dwh_readonly;

-- Incident webhook replay guard (issue 11): every accepted signed request is remembered by a digest of its MAC
-- until that signature can no longer pass the age check, so the same request replayed never starts a second dbt
-- run, whatever the Duplicate Window. See src/webhook/requestClaim.ts.
CREATE TABLE dwh_control.dbt_webhook_requests (
    request_digest    text PRIMARY KEY,            -- sha256 of the verified HMAC over "<timestamp>.<raw body>"
    incident_id       text NOT NULL,
    request_timestamp timestamptz NOT NULL,        -- the signed X-Wolverine-Timestamp
    valid_until       timestamptz NOT NULL,        -- timestamp + Max Request Age: after this the signature is stale anyway
    received_at       timestamptz NOT NULL DEFAULT now(),
    replays_refused   integer NOT NULL DEFAULT 0,
    n8n_execution_id  text
);
CREATE INDEX dbt_webhook_requests_valid_until_idx ON dwh_control.dbt_webhook_requests (valid_until);

ALTER TABLE dwh_control.dbt_webhook_requests OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.dbt_webhook_requests TO dwh_readonly;
-- The webhook's warehouse login writes the claims and the replay register in one transaction.
ALTER TABLE dwh_control.dbt_incident_claims OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.dbt_incident_claims TO dwh_readonly;

-- dbt results per node (issue 15): every test, freshness check, model and seed of every dbt Core run the DbtRun node
-- starts, so nightly test failures and k-anonymity warnings reach the metrics and alerts, not only the n8n item list.
-- Written by src/dbt/dbtRunLog.ts together with the run's final dbt_runs row. `message` is dbt's message as the
-- runner kept it (database errors pass through redactErrorText, so no row values); never a metric label.
-- dbt_runs also gains the read-only commands (test, source freshness): they take no project lock, so they are
-- recorded once, when dbt has exited (no 'running' row that a crash could leave behind).
CREATE TABLE dwh_control.dbt_node_results (
    run_id               text NOT NULL REFERENCES dwh_control.dbt_runs (run_id) ON DELETE CASCADE,
    unique_id            text NOT NULL,
    resource_type        text NOT NULL,                 -- model, test, source (freshness), seed, snapshot, unit_test
    name                 text NOT NULL,                 -- splitUniqueId's readable name, e.g. ledger_db.transactions
    status               text NOT NULL,                 -- dbt's: success, error, skipped, pass, fail, warn, runtime error
    execution_time_s     numeric(12, 3) NOT NULL DEFAULT 0,
    started_at           timestamptz,
    completed_at         timestamptz,
    rows_affected        bigint,
    failures             bigint,                        -- failing rows of a test
    freshness_age_s      numeric(14, 3),                -- source freshness: max_loaded_at_time_ago_in_s
    message              text,
    PRIMARY KEY (run_id, unique_id)
);
CREATE INDEX dbt_node_results_latest ON dwh_control.dbt_node_results (unique_id, completed_at DESC);

ALTER TABLE dwh_control.dbt_node_results OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.dbt_node_results FROM PUBLIC;
GRANT SELECT ON dwh_control.dbt_node_results TO dwh_readonly;

-- dbt's per-node results are written through this function (the DbtRun node's login, dwh_transform, cannot write the
-- table itself). Only rows of a run in dbt_runs.
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

-- ===============================================================================================================
-- Bronze DDL without ownership: the extract creates and widens raw.<table> only through these, for tables the
-- registry knows, with names quoted and types checked; the new table belongs to dwh_owner and the default privileges
-- give each stage its share of it.
-- ===============================================================================================================
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

-- A back-fill COPYs the CSV straight into bronze and lets the _dwh_run_id default stamp every row with the load's run
-- (src/load/loadBronze.ts). As current_setting('dwh.load_run_id')::bigint that default is evaluated for every row:
-- about 7% of the warehouse backend's CPU in a 1M-row COPY (docs/BENCHMARKS.md), and the warehouse COPY is what a
-- one-pass load waits on. Wrapped in a function declared IMMUTABLE, PostgreSQL folds the call to a constant once
-- when it plans each statement (COPY prepares its defaults that way), which is exactly the meaning wanted: one run id
-- per load statement. The declaration is a deliberate stretch of IMMUTABLE that is safe here because nothing caches
-- it across statements: no index or generated column uses it, and the merge writes _dwh_run_id explicitly. Outside a
-- load the setting is unset and the statement fails when planned, as the per-row default failed before.
CREATE OR REPLACE FUNCTION dwh_control.load_run_id() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT pg_catalog.current_setting('dwh.load_run_id')::bigint $$;
ALTER FUNCTION dwh_control.load_run_id() OWNER TO dwh_owner;

-- New and older bronze tables get the folded default on their first back-fill (ensureRunIdDefault, src/load/
-- loadBronze.ts), inside the load transaction, while the table is empty.
CREATE OR REPLACE FUNCTION dwh_control.set_bronze_run_id_default(p_table text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM dwh_control.source_tables s WHERE s.table_name = p_table) OR to_regclass(format('raw.%I', p_table)) IS NULL THEN
        RAISE EXCEPTION 'set_bronze_run_id_default: raw.% is not a registered bronze table', p_table USING ERRCODE = 'undefined_table';
    END IF;
    EXECUTE format('ALTER TABLE raw.%I ALTER COLUMN _dwh_run_id SET DEFAULT dwh_control.load_run_id()', p_table);
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

-- ===============================================================================================================
-- Retention (design doc §8.1; issue 12). expire_raw runs (src/control/expireRaw.ts) are audited per table in
-- retention_runs, layer 'raw'. The CSVs under <prefix>/exports/ and <prefix>/processed/ carry the people Forget Users
-- removes, so they are kept no longer than the registry's retention.archive_days (at most the 30-day erasure SLA):
-- lifecycle rules on the bucket expire them where the server supports it; the archive sweep
-- (src/control/sweepArchive.ts) deletes them where it does not, audited here per table folder per run: layer
-- 'exports' / 'processed', objects and bytes removed.
-- ===============================================================================================================
CREATE TABLE dwh_control.retention_runs (
    retention_run_id     bigserial PRIMARY KEY,
    table_name           text NOT NULL,
    layer                text NOT NULL DEFAULT 'raw' CHECK (layer IN ('raw', 'exports', 'processed')),
    retention_days       integer NOT NULL,
    -- Rows loaded before this expire, once anonymised (their run is at or below the published build's watermark).
    cutoff               timestamptz NOT NULL,
    started_at           timestamptz NOT NULL DEFAULT now(),
    finished_at          timestamptz,
    status               text NOT NULL CHECK (status IN ('running', 'completed', 'skipped', 'failed')),
    rows_removed         bigint NOT NULL DEFAULT 0,
    batches              integer NOT NULL DEFAULT 0,
    -- Past the cutoff but not yet in a published Anonymise build: kept until they are (nothing is lost to intermediate).
    rows_kept_unanonymised bigint NOT NULL DEFAULT 0,
    message              text,
    n8n_execution_id     text,
    objects_removed      bigint NOT NULL DEFAULT 0,
    bytes_removed        bigint NOT NULL DEFAULT 0
);
CREATE INDEX retention_runs_table ON dwh_control.retention_runs (table_name, started_at DESC);
CREATE INDEX retention_runs_layer ON dwh_control.retention_runs (layer, started_at DESC);

ALTER TABLE dwh_control.retention_runs OWNER TO dwh_owner;
GRANT SELECT ON dwh_control.retention_runs TO dwh_readonly;

-- ===============================================================================================================
-- Reconcile (issue 17): proves bronze equals the source by comparing hashed key ranges, and records what it found.
--   source_tables.on_source_delete / reconcile_cadence   (above) what a repair does with keys deleted at the source,
--                                                        how often the scheduled reconcile runs
--   reconcile_runs      one row per reconcile of a table: counts only (readable by dwh_readonly)
--   reconcile_findings  one row per differing key: the key values and what was done, never row values. Keys are raw
--                       data: only the owner and the ETL stage read them, not dwh_readonly
--   v_reconcile_status  the latest reconcile of every registered table
-- A person Forget Users removed from bronze may still be at the source (the apps soft-delete users, design §6.8), so
-- their rows look "missing in bronze" to a reconcile, and a repair would bring them back: the reconcile checks such
-- keys against the forget register (rtbf_subjects holds HMACs only; the ETL login computes the HMAC of the row's
-- subject with the anonymisation-secrets key and never stores it).
-- ===============================================================================================================
CREATE TABLE dwh_control.reconcile_runs (
    reconcile_run_id    bigserial PRIMARY KEY,
    table_name          text NOT NULL REFERENCES dwh_control.source_tables (table_name) ON UPDATE CASCADE,
    status              text NOT NULL CHECK (status IN ('running', 'matched', 'differences', 'repaired', 'failed')),
    repair              boolean NOT NULL DEFAULT false,
    watermark           timestamptz,      -- the table's loaded watermark when the reconcile started
    compared_up_to      timestamptz,      -- watermark - lookback: rows stamped later are not compared
    source_rows         bigint,           -- rows stamped up to compared_up_to, each side
    bronze_rows         bigint,
    ranges_compared     bigint,           -- key ranges whose aggregates were compared
    source_rows_read    bigint,           -- rows each server read to answer the reconcile's statements
    bronze_rows_read    bigint,
    missing_in_bronze   bigint,
    extra_in_bronze     bigint,           -- deleted at the source
    stale_in_bronze     bigint,           -- bronze holds another watermark value than the source
    changed_during_run  bigint,           -- differing keys the re-check found changed since (not differences)
    unresolved          bigint,           -- findings still open after any repair: what v_pipeline_alerts raises
    findings_truncated  boolean NOT NULL DEFAULT false,
    repair_run_id       bigint,           -- extract_runs row (mode 'repair') that re-extracted the affected keys
    message             text,
    error_message       text,
    run_started_at      timestamptz NOT NULL DEFAULT now(),
    run_finished_at     timestamptz,
    n8n_execution_id    text,
    -- Rows deleted at the source, in a table whose anonymisation policy names a subject column, whose personal
    -- columns a repair erased in bronze (and marked deleted): findings with action 'erased'.
    erased_in_bronze    bigint,
    -- Differing keys whose subject is a forgotten person: neither reported nor re-extracted (counts only).
    forgotten_subjects  bigint
);

CREATE INDEX reconcile_runs_table_started
    ON dwh_control.reconcile_runs (table_name, run_started_at DESC);

CREATE TABLE dwh_control.reconcile_findings (
    reconcile_run_id    bigint NOT NULL REFERENCES dwh_control.reconcile_runs (reconcile_run_id) ON DELETE CASCADE,
    kind                text NOT NULL CHECK (kind IN ('missing_in_bronze', 'extra_in_bronze', 'stale_in_bronze')),
    key_values          text[] NOT NULL,  -- in the order of the table's key_columns
    action              text NOT NULL CHECK (action IN ('reported', 'reextracted', 'marked_deleted', 'deleted', 'erased')),
    resolved            boolean NOT NULL DEFAULT false,
    PRIMARY KEY (reconcile_run_id, key_values)
);

CREATE OR REPLACE VIEW dwh_control.v_reconcile_status AS
SELECT DISTINCT ON (table_name)
       table_name, reconcile_run_id AS last_run_id, status, repair, compared_up_to, source_rows, bronze_rows,
       missing_in_bronze, extra_in_bronze, stale_in_bronze, changed_during_run, unresolved, findings_truncated,
       repair_run_id, coalesce(error_message, message) AS message, run_started_at, run_finished_at, n8n_execution_id
  FROM dwh_control.reconcile_runs
 WHERE status <> 'running'
 ORDER BY table_name, run_started_at DESC, reconcile_run_id DESC;

ALTER TABLE dwh_control.reconcile_runs OWNER TO dwh_owner;
ALTER TABLE dwh_control.reconcile_findings OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.reconcile_runs, dwh_control.reconcile_findings FROM PUBLIC;
GRANT SELECT ON dwh_control.reconcile_runs TO dwh_readonly;

-- ===============================================================================================================
-- Residue checks (issue 12 item 4): what the residue verifier (Anonymise Verify Residue, run by the nightly sweep
-- after forgetting) found for a forgotten person; v_residue_alerts (below) raises what is left.
-- A check names places (relation.column, object key:line) and counts, never a value; it is tied to the person only
-- through the audit's subject HMAC and the forget request it verifies. A CSV finding carries expires_at (written +
-- the registry's archive_days): residue the archive retention removes before the request's 30-day deadline is
-- expected, not an alert.
-- ===============================================================================================================
CREATE TABLE dwh_control.residue_checks (
    check_id          bigserial PRIMARY KEY,
    subject_hmac      text NOT NULL,
    -- The latest forget request of the subject when checked (NULL: never forgotten, e.g. a check before forgetting).
    request_id        bigint REFERENCES dwh_control.rtbf_requests (request_id),
    checked_at        timestamptz NOT NULL DEFAULT now(),
    residue_places    integer NOT NULL,
    holds             integer NOT NULL,
    -- [{place, location, count, matched, expiresAt?}]: where and how much, never what.
    residue           jsonb NOT NULL DEFAULT '[]',
    searched          jsonb NOT NULL,
    n8n_execution_id  text
);
CREATE INDEX residue_checks_subject ON dwh_control.residue_checks (subject_hmac, checked_at DESC);

ALTER TABLE dwh_control.residue_checks OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.residue_checks FROM PUBLIC;
GRANT SELECT, INSERT ON dwh_control.residue_checks TO dwh_compliance;
GRANT USAGE ON SEQUENCE dwh_control.residue_checks_check_id_seq TO dwh_compliance;

-- ===============================================================================================================
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

CREATE TABLE dwh_control.pipeline_settings (
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

CREATE TABLE dwh_control.push_freshness (
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
CREATE INDEX push_freshness_target ON dwh_control.push_freshness (target_name, pushed_at DESC);
CREATE INDEX push_freshness_pushed ON dwh_control.push_freshness (pushed_at);

-- For a table, which loaded runs are in a mart built by a dbt run that started at `dbt_started`: those in the newest
-- anonymise build of the table published before it. A run that changed rows is in the build when its id is at most
-- the build's input_watermark (the highest _dwh_run_id it read); a run that changed nothing, or one older builds
-- did not number, counts when it finished before the build started.
-- The load records, per run, the smallest watermark value among the rows it inserted or updated
-- (extract_runs.oldest_changed_stamp): a row's commit comes after its own stamp, and after the previous window's upper
-- bound. So the oldest commit a push delivers for the first time is at least greatest(previous upper bound, oldest
-- changed stamp) per run. With the previous upper bound alone, a push after a quiet spell counted the whole spell as
-- latency (measured in the demo: 5 min 52 s recorded for rows that arrived in 61 s at a 5-minute extract cadence).
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

-- What the chain's dbt stage builds: tables whose anonymised rows changed (a published build that wrote rows) after
-- the start of the last successful dbt build or run that selected them (or selected everything).
-- The DbtRun node records its Select field as written: one element holding every selector separated by spaces
-- ('source:auth_db.users+ source:ledger_db.transactions+'), so the selection's words are compared, not its elements.
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
                      AND (array_to_string(d.selection, ' ') ~ '^\s*$'
                           OR ('source:' || s.source_db || '.' || s.source_table || '+')
                              = ANY (regexp_split_to_array(btrim(array_to_string(d.selection, ' ')), '\s+'))));

CREATE INDEX anonymise_runs_input_published ON dwh_control.anonymise_runs (input_relation, run_started_at DESC)
    WHERE status = 'published';

ALTER TABLE dwh_control.pipeline_settings OWNER TO dwh_owner;
ALTER TABLE dwh_control.push_freshness OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.latency_sla() OWNER TO dwh_owner;
ALTER FUNCTION dwh_control.record_push_freshness() OWNER TO dwh_owner;
REVOKE ALL ON FUNCTION dwh_control.record_push_freshness() FROM PUBLIC;
REVOKE ALL ON dwh_control.pipeline_settings, dwh_control.push_freshness FROM PUBLIC;
GRANT SELECT ON dwh_control.pipeline_settings, dwh_control.push_freshness TO dwh_readonly;

-- ===============================================================================================================
-- Alerts. One place to page from: every open problem of every stage, one row each, for the dwh-pipeline-alerts
-- workflow and dashboards. A problem stays listed until the stage itself shows it healed (a later load, a later
-- successful dbt run, a later published anonymise build, a later push, a completed forget), so an alert never needs
-- acking. `detail` carries error text as the run logs stored it: never row values (those logs withhold them).
-- v_pipeline_alerts is a union of one view per area, each with the same six columns (area, alert, subject, detail,
-- since, n8n_execution_id): an area replaces only its own view, and its alerts' severity is a row in
-- dwh_control.alert_severities, not a CASE branch.
-- ===============================================================================================================
-- extract    failed runs of the last 24 h not followed by a load; enabled tables late, stale or never loaded
CREATE OR REPLACE VIEW dwh_control.v_extract_run_alerts AS
SELECT 'extract'::text AS area, 'extract_failed'::text AS alert, f.table_name::text AS subject, f.error_message::text AS detail,
       f.run_started_at::timestamptz AS since, f.n8n_execution_id::text AS n8n_execution_id
  FROM dwh_control.v_recent_failures f
 WHERE NOT f.recovered
UNION ALL
SELECT 'extract', 'freshness_' || t.freshness_status, t.table_name,
       'last load ' || coalesce(t.last_loaded_at::text, 'never') || ', cadence ' || t.cadence::text, t.last_loaded_at, NULL
  FROM dwh_control.v_table_freshness t
 WHERE t.freshness_status IN ('late', 'stale', 'never_loaded');

-- Extract problems that never fail a run, so neither v_recent_failures nor freshness shows them:
--   watermark_held_back     loads keep committing but the watermark stays more than 4 x cadence (+ safety_lag) behind:
--                           a transaction left open (idle in transaction), a prepared transaction never committed or
--                           rolled back, or a standby that stopped replaying holds every window of the source
--                           database. detail names the bound that held the last loaded run (upper_capped_by).
--   rows_without_watermark  the table's last loaded run counted source rows outside every window (heals when a later
--                           run counts none)
--   watermark_not_bumped    a run loaded in the last 24 hours re-read rows changed under an unchanged stamp
CREATE OR REPLACE VIEW dwh_control.v_extract_alerts AS
SELECT 'extract'::text AS area, 'watermark_held_back'::text AS alert, s.table_name AS subject,
       'watermark ' || w.last_extracted_at || ' is ' || date_trunc('second', now() - w.last_extracted_at)
         || ' behind although loads run; the last run was capped by ' || coalesce(r.upper_capped_by, 'unknown') AS detail,
       w.last_extracted_at AS since, r.n8n_execution_id
  FROM dwh_control.source_tables s
  JOIN dwh_control.extract_watermarks w USING (table_name)
  LEFT JOIN dwh_control.extract_runs r ON r.run_id = w.last_run_id
 WHERE s.enabled AND s.mode = 'incremental'
   AND isfinite(w.last_extracted_at)
   AND w.last_loaded_at > now() - 2 * s.cadence
   AND now() - w.last_extracted_at > 4 * s.cadence + s.safety_lag
UNION ALL
SELECT 'extract', 'rows_without_watermark', s.table_name,
       r.rows_without_watermark || ' source row(s) have ' || s.watermark_column
         || ' NULL or ''infinity'' and are outside every window (not extracted)',
       r.run_started_at, r.n8n_execution_id
  FROM dwh_control.source_tables s
  JOIN dwh_control.extract_watermarks w USING (table_name)
  JOIN dwh_control.extract_runs r ON r.run_id = w.last_run_id
 WHERE s.enabled AND r.rows_without_watermark > 0
UNION ALL
SELECT 'extract', 'watermark_not_bumped', s.table_name,
       c.n || ' re-read row(s) changed without a newer ' || s.watermark_column || ' in the last 24 h (' || c.runs
         || ' run(s)); such changes made after the lookback are never extracted',
       c.since, c.n8n_execution_id
  FROM dwh_control.source_tables s
  JOIN LATERAL (SELECT sum(r.rows_changed_same_stamp) AS n, count(*) AS runs, min(r.run_started_at) AS since,
                       max(r.n8n_execution_id) AS n8n_execution_id
                  FROM dwh_control.extract_runs r
                 WHERE r.table_name = s.table_name AND r.status = 'loaded' AND r.rows_changed_same_stamp > 0
                   AND r.run_started_at > now() - interval '24 hours') c ON c.n > 0
 WHERE s.enabled;

-- dbt        failed / errored / abandoned runs of the last 7 days not recovered (v_dbt_recent_failures)
CREATE OR REPLACE VIEW dwh_control.v_dbt_alerts AS
SELECT 'dbt'::text AS area, ('dbt_' || d.status)::text AS alert,
       (d.command || coalesce(' ' || nullif(array_to_string(d.selection, ' '), ''), ''))::text AS subject,
       d.error_message::text AS detail, d.started_at::timestamptz AS since, d.n8n_execution_id::text AS n8n_execution_id
  FROM dwh_control.v_dbt_recent_failures d
 WHERE NOT d.recovered;

-- anonymise  outputs whose latest set-mode or rotation build failed or was blocked by the PII check, and tables once
--            anonymised whose bronze has been loaded more than an hour after their last published build (the
--            anonymise schedule stopped: no failure to show, only stale intermediate data)
CREATE OR REPLACE VIEW dwh_control.v_anonymise_alerts AS
SELECT 'anonymise'::text AS area, ('anonymise_' || a.status)::text AS alert, a.output_relation::text AS subject,
       coalesce(a.error_message, 'PII check: ' || a.pii_findings::text)::text AS detail,
       a.run_started_at::timestamptz AS since, a.n8n_execution_id::text AS n8n_execution_id
  FROM (SELECT DISTINCT ON (output_relation) output_relation, status, error_message, pii_findings, run_started_at, n8n_execution_id
          FROM dwh_control.anonymise_runs
         WHERE mode IN ('set', 'rotation', 'incremental') AND status <> 'running'
         ORDER BY output_relation, run_started_at DESC, run_id DESC) a
 WHERE a.status IN ('failed', 'blocked')
UNION ALL
SELECT 'anonymise', 'anonymise_stale', l.output_relation,
       'bronze ' || l.input_relation || ' loaded at ' || w.last_loaded_at || ', last published build ' || l.run_started_at,
       l.run_started_at, l.n8n_execution_id
  FROM (SELECT DISTINCT ON (input_relation) input_relation, output_relation, run_started_at, n8n_execution_id
          FROM dwh_control.anonymise_runs
         WHERE mode IN ('set', 'rotation', 'incremental') AND status = 'published'
         ORDER BY input_relation, run_started_at DESC, run_id DESC) l
  JOIN dwh_control.extract_watermarks w ON 'raw.' || w.table_name = l.input_relation
  JOIN dwh_control.source_tables s ON s.table_name = w.table_name AND s.enabled
 WHERE w.last_loaded_at > l.run_started_at + interval '1 hour';

-- pushback   targets whose latest push (skips aside) failed
CREATE OR REPLACE VIEW dwh_control.v_pushback_alerts AS
SELECT 'pushback'::text AS area, 'push_failed'::text AS alert, p.target_name::text AS subject, p.error_message::text AS detail,
       p.run_started_at::timestamptz AS since, p.n8n_execution_id::text AS n8n_execution_id
  FROM (SELECT DISTINCT ON (target_name) target_name, status, error_message, run_started_at, n8n_execution_id
          FROM dwh_control.push_runs
         WHERE status IN ('pushed', 'failed')
         ORDER BY target_name, run_started_at DESC, push_run_id DESC) p
 WHERE p.status = 'failed';

-- rtbf       forget requests still partial or failed with no later completed request for the same person, and open
--            requests within 5 days of the 30-day SLA
CREATE OR REPLACE VIEW dwh_control.v_rtbf_alerts AS
SELECT 'rtbf'::text AS area,
       (CASE WHEN r.status IN ('partial', 'failed') THEN 'rtbf_' || r.status ELSE 'rtbf_sla_at_risk' END)::text AS alert,
       ('request ' || r.request_id)::text AS subject,
       (coalesce(r.error_message || ' ', '') || '(' || s.days_open || ' days open'
         || CASE WHEN s.sla_breached THEN ', SLA breached' ELSE '' END || ')')::text AS detail,
       r.requested_at::timestamptz AS since, r.n8n_execution_id::text AS n8n_execution_id
  FROM dwh_control.rtbf_requests r
  JOIN dwh_control.rtbf_sla s USING (request_id)
 WHERE r.status <> 'completed'
   AND (r.status IN ('partial', 'failed') OR s.days_open > 25)
   AND NOT EXISTS (SELECT 1 FROM dwh_control.rtbf_requests later
                    WHERE later.subject_hmac = r.subject_hmac AND later.request_id > r.request_id AND later.status = 'completed');

-- reconcile  results of the latest reconcile of each enabled table (issue 17):
--   reconcile_differences  the latest reconcile of an enabled table left differences unresolved (reported only, a
--                          repair that did not take, or more differing keys than a repair by key handles). detail has
--                          counts only; the keys are in reconcile_findings, which dwh_readonly cannot read.
--                          Heals when a later reconcile matches or repairs everything.
--   reconcile_failed       the latest reconcile of an enabled table failed (error text as stored: no row values).
CREATE OR REPLACE VIEW dwh_control.v_reconcile_alerts AS
SELECT 'reconcile'::text AS area,
       CASE WHEN r.status = 'failed' THEN 'reconcile_failed' ELSE 'reconcile_differences' END::text AS alert,
       r.table_name AS subject,
       CASE WHEN r.status = 'failed' THEN r.error_message
            ELSE r.unresolved || ' unresolved difference(s) in rows stamped up to ' || r.compared_up_to || ': '
                 || r.missing_in_bronze || ' missing in bronze, ' || r.extra_in_bronze || ' deleted at the source, '
                 || r.stale_in_bronze || ' stale in bronze'
                 || CASE WHEN r.findings_truncated THEN ' (stopped early: too many to repair by key, reseed the table)' ELSE '' END
                 || '; keys in dwh_control.reconcile_findings, reconcile_run_id ' || r.reconcile_run_id END AS detail,
       r.run_started_at AS since, r.n8n_execution_id
  -- reconcile_runs' columns as of issue 17's first alerts, listed: the view was first made with `*`, which PostgreSQL
  -- expands when the view is created, so the later erased_in_bronze and forgotten_subjects were never part of it.
  FROM (SELECT DISTINCT ON (table_name) reconcile_run_id, table_name, status, repair, watermark, compared_up_to, source_rows,
               bronze_rows, ranges_compared, source_rows_read, bronze_rows_read, missing_in_bronze, extra_in_bronze,
               stale_in_bronze, changed_during_run, unresolved, findings_truncated, repair_run_id, message, error_message,
               run_started_at, run_finished_at, n8n_execution_id
          FROM dwh_control.reconcile_runs
         WHERE status <> 'running'
         ORDER BY table_name, run_started_at DESC, reconcile_run_id DESC) r
  JOIN dwh_control.source_tables s ON s.table_name = r.table_name AND s.enabled
 WHERE r.status = 'failed' OR (r.status = 'differences' AND r.unresolved > 0);


-- Retention alerts (issue 12): the area view v_retention_alerts, for the retention workflow.
--   retention_failed   the latest run of a table in a layer (raw / exports / processed) failed: its rows or CSVs
--                      past retention are still there; detail is the run's message (errors are scrubbed of values).
--   retention_overdue  a table with a raw retention has had rows due for expiry (first load older than its
--                      retention) but no raw retention run for it has finished in 2 days: the workflow is not
--                      running (inactive, failing before it starts, or the table always busy).
-- Only counts, table names and layer names appear: dwh_readonly reads this view.
CREATE OR REPLACE VIEW dwh_control.v_retention_alerts AS
SELECT 'retention'::text AS area, 'retention_failed'::text AS alert, (r.layer || ':' || r.table_name)::text AS subject,
       coalesce(r.message, 'failed')::text AS detail, r.started_at::timestamptz AS since, r.n8n_execution_id::text AS n8n_execution_id
  FROM (SELECT DISTINCT ON (layer, table_name) layer, table_name, status, message, started_at, n8n_execution_id
          FROM dwh_control.retention_runs
         WHERE status <> 'running'
         ORDER BY layer, table_name, started_at DESC, retention_run_id DESC) r
 WHERE r.status = 'failed'
UNION ALL
SELECT 'retention', 'retention_overdue', ('raw:' || s.table_name)::text,
       ('retention ' || s.raw_retention_days || ' days; last finished raw retention run '
         || coalesce(to_char(last.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'), 'never'))::text,
       coalesce(last.finished_at, first_load.at)::timestamptz, NULL::text
  FROM dwh_control.source_tables s
  JOIN LATERAL (SELECT min(e.run_finished_at) AS at FROM dwh_control.extract_runs e
                 WHERE e.table_name = s.table_name AND e.status = 'loaded') first_load ON true
  LEFT JOIN LATERAL (SELECT max(r.finished_at) AS finished_at FROM dwh_control.retention_runs r
                      WHERE r.layer = 'raw' AND r.table_name = s.table_name AND r.status IN ('completed', 'skipped')) last ON true
 WHERE s.enabled AND s.raw_retention_days IS NOT NULL
   AND first_load.at < now() - make_interval(days => s.raw_retention_days)
   AND coalesce(last.finished_at, '-infinity') < now() - interval '2 days';


-- Residue left by a forget request (issue 12 item 4):
--   residue_left      the latest check of the latest request found residue nothing removes before the deadline (P2)
--   residue_past_sla  the same, once the deadline has passed (P1: a legal breach)
-- The alert detail is counts per kind of place and the deadline: dwh_readonly reads it.
CREATE OR REPLACE VIEW dwh_control.v_residue_alerts AS
WITH latest_request AS (
    SELECT DISTINCT ON (subject_hmac) request_id, subject_hmac, requested_at + interval '30 days' AS deadline
      FROM dwh_control.rtbf_requests
     ORDER BY subject_hmac, request_id DESC
), latest_check AS (
    SELECT DISTINCT ON (c.subject_hmac) c.check_id, c.request_id, c.checked_at, c.residue, c.n8n_execution_id
      FROM dwh_control.residue_checks c
     ORDER BY c.subject_hmac, c.checked_at DESC, c.check_id DESC
), lasting AS (
    SELECT r.request_id, r.deadline, c.checked_at, c.n8n_execution_id, f->>'place' AS place, (f->>'count')::bigint AS n
      FROM latest_request r
      JOIN latest_check c ON c.request_id = r.request_id
     CROSS JOIN LATERAL jsonb_array_elements(c.residue) f
     WHERE f->>'expiresAt' IS NULL OR (f->>'expiresAt')::timestamptz > r.deadline
), per_place AS (
    SELECT request_id, deadline, checked_at, n8n_execution_id, place, count(*) AS places, sum(n) AS n
      FROM lasting GROUP BY 1, 2, 3, 4, 5
)
SELECT 'residue'::text AS area,
       (CASE WHEN now() > p.deadline THEN 'residue_past_sla' ELSE 'residue_left' END)::text AS alert,
       ('request ' || p.request_id)::text AS subject,
       (sum(p.places) || ' place(s), ' || sum(p.n) || ' row(s)/record(s): '
         || string_agg(p.place || ' ' || p.places, ', ' ORDER BY p.place)
         || '; SLA deadline ' || to_char(p.deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD'))::text AS detail,
       p.checked_at::timestamptz AS since, p.n8n_execution_id::text AS n8n_execution_id
  FROM per_place p
 GROUP BY p.request_id, p.deadline, p.checked_at, p.n8n_execution_id;


CREATE OR REPLACE VIEW dwh_control.v_pipeline_alerts AS
          SELECT * FROM dwh_control.v_extract_run_alerts
UNION ALL SELECT * FROM dwh_control.v_dbt_alerts
UNION ALL SELECT * FROM dwh_control.v_anonymise_alerts
UNION ALL SELECT * FROM dwh_control.v_pushback_alerts
UNION ALL SELECT * FROM dwh_control.v_rtbf_alerts
UNION ALL SELECT * FROM dwh_control.v_extract_alerts
UNION ALL SELECT * FROM dwh_control.v_reconcile_alerts
UNION ALL SELECT * FROM dwh_control.v_retention_alerts
UNION ALL SELECT * FROM dwh_control.v_residue_alerts
UNION ALL SELECT * FROM dwh_control.v_latency_alerts;

-- Severity per alert name (design §11.2: P1 pages on-call, P2 opens a ticket). An alert with no row is P2.
CREATE TABLE dwh_control.alert_severities (
    alert     text PRIMARY KEY,
    severity  text NOT NULL CHECK (severity IN ('P1', 'P2')),
    why       text NOT NULL
);
INSERT INTO dwh_control.alert_severities (alert, severity, why) VALUES
    ('anonymise_blocked', 'P1', 'the PII check stopped a build: data is not flowing and PII may be in bronze columns marked kept'),
    ('freshness_stale', 'P1', 'last load over 4 x cadence ago'),
    ('retention_failed', 'P2', 'rows or CSVs past retention are kept a day longer; the next run retries'),
    ('retention_overdue', 'P2', 'raw retention has not run for two days: PII is kept past the registry''s retention'),
    ('residue_left', 'P2', 'a forgotten person is still somewhere nothing removes before the 30-day deadline: act before it passes'),
    ('residue_past_sla', 'P1', 'a forgotten person is still in the warehouse, analytics_db, the vault or the archive past the 30-day erasure SLA'),
    ('latency_over_sla', 'P2', 'the last chain push of a target delivered rows later than the latency SLA (pipeline_settings.latency_sla): data flows, but late');

CREATE OR REPLACE VIEW dwh_control.v_pipeline_alerts_by_severity AS
SELECT CASE
           WHEN a.area = 'rtbf' AND a.alert = 'rtbf_sla_at_risk' AND a.since < now() - interval '30 days' THEN 'P1'
           ELSE coalesce(s.severity, 'P2')
       END AS severity,
       a.area, a.alert, a.subject, a.detail, a.since, a.n8n_execution_id
  FROM dwh_control.v_pipeline_alerts a
  LEFT JOIN dwh_control.alert_severities s ON s.alert = a.alert;

ALTER TABLE dwh_control.alert_severities OWNER TO dwh_owner;
REVOKE ALL ON dwh_control.alert_severities FROM PUBLIC;
GRANT SELECT ON dwh_control.alert_severities TO dwh_readonly;

-- ===============================================================================================================
-- Prometheus metrics from what dwh_control records (issue 15, design §11.2): one view per query of
-- ops/postgres_exporter/queries.yaml, which reads them as the read-only role (dwh_readonly). The views are the
-- contract: text columns become labels, numeric columns become samples (NULL = NaN, "no value"). Labels carry only
-- names the registry, policies and dbt project define (tables, relations, targets, dbt nodes, statuses): never row
-- values, error text or people. *_total columns are counters over the whole run log (runs are never deleted); the
-- exporter caches them (cache_seconds) so a two-million-run log is summed once a minute at most.

-- Extract / load, one row per registered table. Flags are 0/1; ages in seconds, NULL when there is nothing to measure.
-- late, stale and stuck are 0, not NULL (NaN), for a table never loaded or with no run in flight, so sum() over them
-- counts. rows_without_watermark / watermark_not_bumped: the extract alerts of v_extract_alerts as 0/1 flags.
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
       coalesce(s.enabled AND now() - w.last_loaded_at > 2 * s.cadence, false)::int::float8 AS late,
       coalesce(s.enabled AND now() - w.last_loaded_at > 4 * s.cadence, false)::int::float8 AS stale,
       coalesce(s.enabled AND now() - f.run_started_at > 2 * s.cadence, false)::int::float8 AS stuck,
       extract(epoch FROM now() - f.run_started_at)::float8                          AS in_flight_seconds,
       (h.subject IS NOT NULL)::int::float8                                          AS watermark_held_back,
       (SELECT count(*) FROM dwh_control.v_recent_failures rf
         WHERE rf.table_name = s.table_name AND NOT rf.recovered)::float8             AS unrecovered_failures,
       w.rows_loaded_last_run::float8                                                AS last_load_rows,
       l.csv_bytes::float8                                                           AS last_load_bytes,
       extract(epoch FROM l.extracted_at - l.run_started_at)::float8                 AS last_load_extract_seconds,
       extract(epoch FROM l.run_finished_at - coalesce(l.load_started_at, l.extracted_at))::float8
                                                                                     AS last_load_load_seconds,
       (EXISTS (SELECT 1 FROM dwh_control.v_extract_alerts a
                 WHERE a.subject = s.table_name AND a.alert = 'rows_without_watermark'))::int::float8 AS rows_without_watermark,
       (EXISTS (SELECT 1 FROM dwh_control.v_extract_alerts a
                 WHERE a.subject = s.table_name AND a.alert = 'watermark_not_bumped'))::int::float8   AS watermark_not_bumped
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

-- ===============================================================================================================
-- Every view above is owned by dwh_owner and read by dwh_readonly (dashboards, postgres_exporter, the alerts
-- workflow); PUBLIC gets nothing. The stages that read one more (dwh_etl, dwh_compliance) are granted it below.
DO $$
DECLARE
    v text;
BEGIN
    FOREACH v IN ARRAY ARRAY[
        -- observability, run logs
        'v_table_freshness', 'v_recent_failures', 'v_watermark_lag', 'rtbf_sla', 'push_target_status',
        'v_dbt_recent_failures', 'v_reconcile_status',
        -- the chain's latency and dbt work list
        'v_source_to_analytics_latency', 'v_latency_summary', 'v_chain_dbt_pending',
        -- alerts, one view per area, and their union
        'v_extract_run_alerts', 'v_extract_alerts', 'v_dbt_alerts', 'v_anonymise_alerts', 'v_pushback_alerts', 'v_rtbf_alerts',
        'v_reconcile_alerts', 'v_retention_alerts', 'v_residue_alerts', 'v_latency_alerts', 'v_pipeline_alerts',
        'v_pipeline_alerts_by_severity',
        -- Prometheus metrics
        'metrics_extract_table', 'metrics_extract', 'metrics_anonymise_output', 'metrics_anonymise', 'metrics_push_target',
        'metrics_push', 'metrics_dbt_command', 'metrics_dbt', 'metrics_dbt_node', 'metrics_dbt_node_results', 'metrics_rtbf',
        'metrics_pipeline_alerts'
    ] LOOP
        EXECUTE format('ALTER VIEW dwh_control.%I OWNER TO dwh_owner', v);
        EXECUTE format('REVOKE ALL ON dwh_control.%I FROM PUBLIC', v);
        EXECUTE format('GRANT SELECT ON dwh_control.%I TO dwh_readonly', v);
    END LOOP;
END
$$;

-- ===============================================================================================================
-- What each stage role may do (issue 11, docs/security.md). Grants to the stages come last, in this order, so that
-- every object's privileges list reads the same as on a warehouse built by the migrations this file replaces.
-- ===============================================================================================================
-- dwh_pushback: Push Back reads marts.* only. Marts are built at run time by dbt (dwh_transform), the reference tables
-- by Enrich (dwh_etl), hand-made ones by the migrating DBA: each creator's future tables and views in marts are
-- readable by the push.
GRANT USAGE ON SCHEMA marts TO dwh_pushback;
GRANT SELECT ON ALL TABLES IN SCHEMA marts TO dwh_pushback;
-- Marts are built at run time by dbt (dwh_transform), the reference tables by Enrich (dwh_etl), hand-made ones by the
-- migrating DBA: each creator's future tables and views in marts are readable by the push.
ALTER DEFAULT PRIVILEGES IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_pushback;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_transform IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_pushback;
ALTER DEFAULT PRIVILEGES FOR ROLE dwh_etl IN SCHEMA marts GRANT SELECT ON TABLES TO dwh_pushback;
GRANT USAGE ON SCHEMA dwh_control TO dwh_pushback;

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
-- Raw retention (retention_runs, dwh-expire-raw): deleting expired bronze PII is compliance's job.
GRANT SELECT, INSERT, UPDATE ON dwh_control.retention_runs TO dwh_compliance;
GRANT USAGE ON SEQUENCE dwh_control.retention_runs_retention_run_id_seq TO dwh_compliance;

-- dwh_transform: dbt Run.
GRANT USAGE ON SCHEMA dwh_control, raw, intermediate TO dwh_transform;
GRANT USAGE, CREATE ON SCHEMA staging, marts, dbt TO dwh_transform;
GRANT SELECT ON ALL TABLES IN SCHEMA raw TO dwh_transform;
GRANT SELECT ON ALL TABLES IN SCHEMA intermediate TO dwh_transform;
GRANT SELECT ON marts.dim_holidays, marts.dim_fx_rates_daily, marts.dim_places, marts.dim_admin_divisions TO dwh_transform;
GRANT SELECT, INSERT, UPDATE ON dwh_control.dbt_runs, dwh_control.dbt_incident_claims TO dwh_transform;
-- The webhook's replay register: Verify Incident Webhook claims each signed request once, and forgets expired ones.
GRANT SELECT, INSERT, UPDATE, DELETE ON dwh_control.dbt_webhook_requests TO dwh_transform;
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
-- Forget Users removes or unlinks the person in every copy: staging and marts tables (dbt's), refreshing the
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

-- The ETL stage role runs reconciles as it runs extracts and loads.
GRANT SELECT, INSERT, UPDATE ON dwh_control.reconcile_runs, dwh_control.reconcile_findings TO dwh_etl;
GRANT SELECT ON dwh_control.v_reconcile_status TO dwh_etl;
GRANT USAGE ON SEQUENCE dwh_control.reconcile_runs_reconcile_run_id_seq TO dwh_etl;

-- The residue verifier (Verify Residue, dwh-verify-residue) runs as dwh_compliance and must search every place a
-- forgotten person could remain, run logs included, and find neither the forget register nor the reconcile's
-- forgotten-subject check short of a reader:
--   rtbf_subjects  readable by dwh_etl too: the reconcile checks differing keys against it (HMACs of forgotten
--                  people, no ids)
GRANT SELECT ON dwh_control.rtbf_subjects TO dwh_etl;
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

-- ===============================================================================================================
-- Assertions (execution manual §4 A.3): refuse to finish migrating a warehouse whose roles or bronze keys are
-- wrong. `npm run dwh:migrate` repeats dwh_control.assert_all() after every migration.
SELECT dwh_control.assert_roles();
SELECT dwh_control.assert_bronze_keys();
