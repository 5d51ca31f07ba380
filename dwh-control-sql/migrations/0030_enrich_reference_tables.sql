-- Enrichment reference data (design doc §7): holidays, daily FX rates, places for reverse geocoding, and the
-- helpers the set-based enrichment SQL relies on. Idempotent: every statement can run again.

CREATE SCHEMA IF NOT EXISTS marts;
CREATE SCHEMA IF NOT EXISTS dwh_enrich;

-- cube + earthdistance give a GiST index that answers "nearest place" by KNN (ORDER BY <-> LIMIT 1) instead of
-- a scan over every place. Both are trusted contrib extensions, so a database owner can create them.
CREATE EXTENSION IF NOT EXISTS cube;
CREATE EXTENSION IF NOT EXISTS earthdistance;

-- §7.2: one row per (country, date, holiday). type follows date-holidays: public / bank / optional / observance.
-- is_substitute marks the day a holiday moved to (ZA: a Sunday holiday is observed on the Monday).
CREATE TABLE IF NOT EXISTS marts.dim_holidays (
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
CREATE TABLE IF NOT EXISTS marts.dim_fx_rates_daily (
	currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
	rate_date     date NOT NULL,
	units_per_zar numeric NOT NULL CHECK (units_per_zar > 0),
	source        text NOT NULL,
	fetched_at    timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (currency, rate_date)
);

-- §7.1 (the design's geo_db.geonames): GeoNames populated places. pt is ll_to_earth(lat, lng), stored so the GiST
-- index serves KNN directly.
CREATE TABLE IF NOT EXISTS marts.dim_places (
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
CREATE INDEX IF NOT EXISTS dim_places_pt_gist ON marts.dim_places USING gist (pt);

-- GeoNames admin1CodesASCII.txt / admin2Codes.txt: 'ZA.06' -> Gauteng, 'ZA.06.JHB' -> City of Johannesburg.
CREATE TABLE IF NOT EXISTS marts.dim_admin_divisions (
	code   text PRIMARY KEY,
	name   text NOT NULL,
	level  smallint NOT NULL CHECK (level IN (1, 2)),
	source text NOT NULL
);

-- Geo HTTP service (geo_mcp) answers, keyed by the point asked about; expires by fetched_at + the caller's TTL.
CREATE TABLE IF NOT EXISTS dwh_enrich.geo_service_cache (
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

DO $$
BEGIN
	IF NOT EXISTS (
		SELECT 1 FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'dwh_enrich' AND p.proname = 'funnel_position' AND p.prokind = 'a'
	) THEN
		CREATE AGGREGATE dwh_enrich.funnel_position(integer) (
			SFUNC = dwh_enrich.funnel_advance,
			STYPE = integer,
			INITCOND = '0'
		);
	END IF;
END
$$;
