-- Anonymise (design doc §6, §8.3): the intermediate schema, the SQL twins of src/anonymise/generalise.ts, the
-- IP → city/country lookup, the per-run log (with the salt version of every salt type used) and the register of
-- active salt versions. Idempotent: safe to run on a warehouse that already has part of it.

-- digest() and hmac() for the §6.2 hash. Trusted extension since PG 13: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE SCHEMA IF NOT EXISTS dwh_control;
CREATE SCHEMA IF NOT EXISTS intermediate;
COMMENT ON SCHEMA intermediate IS 'Layer 2 (design doc §8.3): anonymised. Written only by the Anonymise node after a passing PII check.';

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
CREATE TABLE IF NOT EXISTS dwh_control.ip_geo_ranges (
    network    cidr PRIMARY KEY,
    city       text,
    country    text NOT NULL,
    source     text NOT NULL DEFAULT 'manual',
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ip_geo_ranges_network ON dwh_control.ip_geo_ranges USING gist (network inet_ops);

-- Which salt version of each salt type is live. Hash outputs only change through the Rotate Salt operation (a
-- new version added to the credential does nothing until then), so cross-source joins never break mid-year.
CREATE TABLE IF NOT EXISTS dwh_control.anonymise_salts (
    salt_type      text PRIMARY KEY CHECK (salt_type ~ '^[a-z_][a-z0-9_]{0,62}$'),
    active_version integer NOT NULL CHECK (active_version > 0),
    -- sha256 of a prefix + the salt, 16 hex: notices a credential whose salt for this version was changed.
    fingerprint    text NOT NULL CHECK (fingerprint ~ '^[0-9a-f]{16}$'),
    activated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS dwh_control.salt_rotations (
    rotation_id      bigserial PRIMARY KEY,
    salt_type        text NOT NULL,
    from_version     integer,
    to_version       integer NOT NULL,
    tables_rebuilt   text[] NOT NULL DEFAULT '{}',
    rotated_at       timestamptz NOT NULL DEFAULT now(),
    rotated_by       text NOT NULL DEFAULT session_user,
    n8n_execution_id text
);

CREATE TABLE IF NOT EXISTS dwh_control.anonymise_runs (
    run_id            bigserial PRIMARY KEY,
    source_db         text NOT NULL,
    source_table      text NOT NULL,
    input_relation    text NOT NULL,
    output_relation   text NOT NULL,
    mode              text NOT NULL CHECK (mode IN ('set', 'rotation')),
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
    n8n_execution_id  text
);
CREATE INDEX IF NOT EXISTS anonymise_runs_output_started ON dwh_control.anonymise_runs (output_relation, run_started_at DESC);

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

DROP TRIGGER IF EXISTS anonymise_runs_transition ON dwh_control.anonymise_runs;
CREATE TRIGGER anonymise_runs_transition
    BEFORE UPDATE OF status ON dwh_control.anonymise_runs
    FOR EACH ROW EXECUTE FUNCTION dwh_control.check_anonymise_run_transition();
