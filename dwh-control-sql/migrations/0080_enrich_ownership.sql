-- Ownership for the objects of 0030, as 0022 does for Anonymise: 0030 left the marts and dwh_enrich schemas and the
-- enrichment reference tables owned by whoever migrated, so the nodes' login (n8n_etl, through dwh_owner) got
-- "permission denied for schema marts" from Enrich Relation and the reference-data loaders. dbt's login keeps
-- whatever the DBA granted it on marts (a schema's grants survive a change of owner).

ALTER SCHEMA marts OWNER TO dwh_owner;
ALTER SCHEMA dwh_enrich OWNER TO dwh_owner;
ALTER TABLE marts.dim_holidays OWNER TO dwh_owner;
ALTER TABLE marts.dim_fx_rates_daily OWNER TO dwh_owner;
ALTER TABLE marts.dim_places OWNER TO dwh_owner;
ALTER TABLE marts.dim_admin_divisions OWNER TO dwh_owner;
ALTER TABLE dwh_enrich.geo_service_cache OWNER TO dwh_owner;
ALTER FUNCTION dwh_enrich.funnel_advance(integer, integer) OWNER TO dwh_owner;
ALTER AGGREGATE dwh_enrich.funnel_position(integer) OWNER TO dwh_owner;
