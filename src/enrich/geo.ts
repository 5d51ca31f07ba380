import type pg from 'pg';
import type { GeoFamily } from './config.schema';
import type { FetchLike } from '../transport/fetchLike';
import { fillGeoServiceCache } from './geoService';
import { ident, type RelationColumns } from './relation';
import { outputColumns, readsOf, type EnrichStage } from './stage';

/** What both backends add: the place a point lies in (the bundled one adds distances and urban/rural). */
const PLACE_COLUMNS = outputColumns({ city: 'text', admin1: 'text', admin2: 'text', country: 'text' });

/**
 * §7.1. Rows are anonymised to a 0.01° grid, so 1M rows hold far fewer distinct points: each distinct point is
 * looked up once, then joined back by hash.
 *
 * places backend: marts.dim_places.pt is ll_to_earth(lat, lng) with a GiST index, so
 * `ORDER BY pt <-> ll_to_earth(...) LIMIT 1` is an index KNN walk (chord distance orders exactly like great-circle
 * distance). The nearest place gives city/admin1/admin2/country; a second KNN restricted to places with at least
 * populationCentreMin inhabitants gives the population centre, and its distance decides urban vs rural.
 *
 * service backend (the design's geo_mcp): distinct points missing from dwh_enrich.geo_service_cache (or older than
 * the TTL) are fetched over HTTP first, then the cache is joined like a table. It has no distances.
 */
export function geoStage(cfg: GeoFamily, fetchImpl?: FetchLike): EnrichStage {
	const lat = (alias: string) => `${alias}.${ident(cfg.latitudeColumn)}::double precision`;
	const lng = (alias: string) => `${alias}.${ident(cfg.longitudeColumn)}::double precision`;
	const validPoint = (alias: string) => `${lat(alias)} BETWEEN -90 AND 90 AND ${lng(alias)} BETWEEN -180 AND 180`;
	const reads = readsOf('geo', cfg, ['latitudeColumn', 'longitudeColumn']);

	if (cfg.backend === 'service') {
		const service = cfg.service!;
		return {
			family: 'geo',
			columns: PLACE_COLUMNS,
			reads,
			async prepare(client: pg.ClientBase, input: string) {
				const { rows } = await client.query<{ lat: number; lng: number }>(
					`SELECT DISTINCT ${lat('i')} AS lat, ${lng('i')} AS lng FROM ${input} i
					  WHERE ${validPoint('i')}
					    AND NOT EXISTS (SELECT 1 FROM dwh_enrich.geo_service_cache c
					                     WHERE c.lat = ${lat('i')} AND c.lng = ${lng('i')}
					                       AND c.fetched_at > now() - make_interval(secs => $1))`,
					[service.ttlHours * 3600],
				);
				await fillGeoServiceCache(client, service, rows, fetchImpl);
			},
			select(input: string) {
				return `
SELECT i.*, c.city, c.admin1, c.admin2, c.country
  FROM ${input} i
  LEFT JOIN dwh_enrich.geo_service_cache c ON c.lat = ${lat('i')} AND c.lng = ${lng('i')}`;
			},
		};
	}

	return {
		family: 'geo',
		columns: [
			...PLACE_COLUMNS,
			...outputColumns({ nearest_place_km: 'number', population_centre: 'text', population_centre_km: 'number', urban_rural: 'text' }),
		],
		reads,
		select(input: string, _cols: RelationColumns) {
			return `
WITH pts AS (
  SELECT DISTINCT ${lat('i')} AS lat, ${lng('i')} AS lng FROM ${input} i WHERE ${validPoint('i')}
),
near AS MATERIALIZED (
  SELECT pts.lat, pts.lng, n.name, n.country_code, n.admin1_code, n.admin2_code, n.km,
         c.name AS centre, c.km AS centre_km
    FROM pts
    LEFT JOIN LATERAL (
      SELECT p.name, p.country_code, p.admin1_code, p.admin2_code,
             earth_distance(p.pt, ll_to_earth(pts.lat, pts.lng)) / 1000 AS km
        FROM marts.dim_places p
       ORDER BY p.pt <-> ll_to_earth(pts.lat, pts.lng)
       LIMIT 1
    ) n ON true
    LEFT JOIN LATERAL (
      SELECT p.name, earth_distance(p.pt, ll_to_earth(pts.lat, pts.lng)) / 1000 AS km
        FROM marts.dim_places p
       WHERE p.population >= ${Number(cfg.populationCentreMin)}
       ORDER BY p.pt <-> ll_to_earth(pts.lat, pts.lng)
       LIMIT 1
    ) c ON true
)
SELECT i.*,
       n.name AS city,
       coalesce(a1.name, nullif(nullif(n.admin1_code, ''), '00')) AS admin1,
       coalesce(a2.name, nullif(n.admin2_code, '')) AS admin2,
       n.country_code AS country,
       round(n.km::numeric, 2) AS nearest_place_km,
       n.centre AS population_centre,
       round(n.centre_km::numeric, 2) AS population_centre_km,
       CASE WHEN n.centre_km IS NULL THEN NULL WHEN n.centre_km <= ${Number(cfg.urbanRadiusKm)} THEN 'urban' ELSE 'rural' END AS urban_rural
  FROM ${input} i
  LEFT JOIN near n ON n.lat = ${lat('i')} AND n.lng = ${lng('i')}
  LEFT JOIN marts.dim_admin_divisions a1 ON a1.code = n.country_code || '.' || n.admin1_code
  LEFT JOIN marts.dim_admin_divisions a2 ON a2.code = n.country_code || '.' || n.admin1_code || '.' || n.admin2_code`;
		},
	};
}
