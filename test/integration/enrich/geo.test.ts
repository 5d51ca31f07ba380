import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { enrichRelation, loadPlaces } from '../../../src/enrich';
import { enrichWarehouse, fixtureServer, json, type EnrichWarehouse, type FixtureServer } from './warehouse';

let wh: EnrichWarehouse;

beforeAll(async () => {
	wh = await enrichWarehouse('enrich_geo');
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
		CREATE TABLE intermediate.checkins (id integer, gps_lat numeric(6,2), gps_lng numeric(6,2));
		INSERT INTO intermediate.checkins VALUES
		  (1, -26.20, 28.04),  -- Johannesburg CBD
		  (2, -33.93, 18.42),  -- Cape Town
		  (3, -29.86, 31.03),  -- Durban
		  (4, -31.00, 22.00),  -- Karoo, Northern Cape
		  (5, -26.20, 28.04),  -- same grid cell as row 1
		  (6, NULL, NULL),
		  (7, 95.00, 28.04)    -- not a point on Earth`);
});
afterAll(async () => wh?.close());

const geo = { latitudeColumn: 'gps_lat', longitudeColumn: 'gps_lng' };

async function reverseGeocoded() {
	await enrichRelation(wh.etl, { source: 'intermediate.checkins', target: 'intermediate.enr_checkins_geo', families: { geo } });
	const { rows } = await wh.pool.query(
		`SELECT id, city, admin1, admin2, country, urban_rural, population_centre, nearest_place_km, population_centre_km FROM intermediate.enr_checkins_geo ORDER BY id`,
	);
	return rows;
}

test('reverse geocoding of Johannesburg, Cape Town, Durban and a rural Karoo point (South African subset of the bundled data set)', async () => {
	const report = await loadPlaces(wh.etl, { source: 'bundled', countries: ['ZA'] });
	expect(report.places).toBe(341);
	expect(report.admin1).toBe(9);
	const rows = await reverseGeocoded();
	const brief = rows.map((r) => [r.id, r.city, r.admin1, r.admin2, r.country, r.urban_rural, r.population_centre]);
	expect(brief).toEqual([
		[1, 'Johannesburg', 'Gauteng', 'City of Johannesburg Metropolitan Municipality', 'ZA', 'urban', 'Johannesburg'],
		[2, 'Cape Town', 'Western Cape', 'City of Cape Town', 'ZA', 'urban', 'Cape Town'],
		[3, 'Durban', 'KwaZulu-Natal', 'eThekwini Metropolitan Municipality', 'ZA', 'urban', 'Durban'],
		// GeoNames has no admin2 name for this local municipality, so its code stands in
		[4, 'Carnarvon', 'Northern Cape', 'NC074', 'ZA', 'rural', 'Graaff-Reinet'],
		[5, 'Johannesburg', 'Gauteng', 'City of Johannesburg Metropolitan Municipality', 'ZA', 'urban', 'Johannesburg'],
		[6, null, null, null, null, null, null],
		[7, null, null, null, null, null, null],
	]);
	// Great-circle distances (haversine on the 6371 km sphere gives 0.44 / 13.16 / 277.12 km)
	expect(Number(rows[0].nearest_place_km)).toBeCloseTo(0.44, 1);
	expect(Number(rows[3].nearest_place_km)).toBeCloseTo(13.16, 0);
	expect(Number(rows[3].population_centre_km)).toBeCloseTo(277.1, 0);
});

test('the nearest-place lookup is an index KNN walk, not a scan of every place', async () => {
	const { rows } = await wh.pool.query(`EXPLAIN SELECT name FROM marts.dim_places p ORDER BY p.pt <-> ll_to_earth(-26.2, 28.04) LIMIT 1`);
	expect(rows.map((r) => r['QUERY PLAN']).join('\n')).toMatch(/Index Scan using dim_places_pt_gist/);
});

test('a GeoNames-format file loads through the same path; a bad line is reported by number and changes nothing', async () => {
	const dir = mkdtempSync(path.join(tmpdir(), 'geonames-'));
	const line = (id: number, name: string, lat: number, lng: number, a1: string, a2: string, pop: number) =>
		[id, name, name, '', lat, lng, 'P', 'PPL', 'ZA', '', a1, a2, '', '', pop, '', '1200', 'Africa/Johannesburg', '2024-01-01'].join('\t');
	const cities = path.join(dir, 'cities1000.txt');
	writeFileSync(cities, [line(1, 'Testburg', -26.2, 28.05, '06', 'JHB', 2_000_000), line(2, 'Veldhoek', -31.0, 22.01, '08', 'NC074', 1200)].join('\n') + '\n');
	const admin1 = path.join(dir, 'admin1CodesASCII.txt');
	writeFileSync(admin1, 'ZA.06\tGauteng Province\tGauteng Province\t1085594\nZA.08\tNorthern Cape\tNorthern Cape\t1085595\n');
	const report = await loadPlaces(wh.etl, { source: 'file', citiesFile: cities, admin1File: admin1 });
	expect(report).toMatchObject({ places: 2, admin1: 2, admin2: 0, source: 'file:cities1000.txt' });
	const rows = await reverseGeocoded();
	expect(rows.slice(0, 4).map((r) => [r.city, r.admin1, r.urban_rural])).toEqual([
		['Testburg', 'Gauteng Province', 'urban'],
		['Veldhoek', 'Northern Cape', 'rural'],
		['Testburg', 'Gauteng Province', 'rural'],
		['Veldhoek', 'Northern Cape', 'rural'],
	]);

	const broken = path.join(dir, 'broken.txt');
	writeFileSync(broken, [line(3, 'Fine', -30, 25, '08', '', 5000), '4\tNo coordinates\tx\t\t\t\tP\tPPL\tZA\t\t08\t\t\t\t100'].join('\n'));
	await expect(loadPlaces(wh.etl, { source: 'file', citiesFile: broken })).rejects.toThrow(`${broken} line 2: latitude "" is not between -90 and 90`);
	const { rows: left } = await wh.pool.query(`SELECT name FROM marts.dim_places ORDER BY name`);
	expect(left.map((r) => r.name)).toEqual(['Testburg', 'Veldhoek']);
});

describe('geo HTTP service backend (geo_mcp)', () => {
	let svc: FixtureServer;
	let status = 200;
	beforeAll(async () => {
		svc = await fixtureServer((url, req, res) => {
			if (req.headers.authorization !== 'Bearer geo-key') return json(res, 401, { error: 'unauthorised' });
			if (status !== 200) return json(res, status, { error: 'down' });
			const lat = Number(url.searchParams.get('lat'));
			json(
				res,
				200,
				lat < -33
					? { city: 'Cape Town', admin1: 'Western Cape', admin2: null, country: 'ZA', extra: 1 }
					: { city: 'Elsewhere', admin1: null, admin2: null, country: 'ZA' },
			);
		});
	});
	afterAll(async () => svc?.close());

	const serviceGeo = (apiKey: string) => ({ ...geo, backend: 'service' as const, service: { baseUrl: svc.url, apiKey, ttlHours: 1 } });

	test('asks once per distinct point, then answers from the cache until the TTL passes', async () => {
		await enrichRelation(wh.etl, { source: 'intermediate.checkins', target: 'intermediate.enr_checkins_svc', families: { geo: serviceGeo('geo-key') } });
		// 5 valid rows, 4 distinct points (rows 1 and 5 share a cell); NULL and lat 95 are never sent
		expect(svc.requests).toHaveLength(4);
		const { rows } = await wh.pool.query(`SELECT id, city, admin1, country FROM intermediate.enr_checkins_svc ORDER BY id`);
		expect(rows.map((r) => r.city)).toEqual(['Elsewhere', 'Cape Town', 'Elsewhere', 'Elsewhere', 'Elsewhere', null, null]);
		expect(rows[1]).toEqual({ id: 2, city: 'Cape Town', admin1: 'Western Cape', country: 'ZA' });

		await enrichRelation(wh.etl, { source: 'intermediate.checkins', target: 'intermediate.enr_checkins_svc', families: { geo: serviceGeo('geo-key') } });
		expect(svc.requests).toHaveLength(4);

		await wh.pool.query(`UPDATE dwh_enrich.geo_service_cache SET fetched_at = now() - interval '2 hours' WHERE lat < -33`);
		await enrichRelation(wh.etl, { source: 'intermediate.checkins', target: 'intermediate.enr_checkins_svc', families: { geo: serviceGeo('geo-key') } });
		expect(svc.requests).toHaveLength(5);
		expect(svc.requests[4].searchParams.get('lat')).toBe('-33.93');
	});

	test('a refused key fails the run with a message that says so, and the previous output stays', async () => {
		await wh.pool.query(`TRUNCATE dwh_enrich.geo_service_cache`);
		await expect(
			enrichRelation(wh.etl, { source: 'intermediate.checkins', target: 'intermediate.enr_checkins_svc', families: { geo: serviceGeo('wrong') } }),
		).rejects.toThrow(/answered HTTP 401 for .* — check the API key/);
		const { rows } = await wh.pool.query(`SELECT count(*)::int AS n FROM intermediate.enr_checkins_svc`);
		expect(rows[0].n).toBe(7);
	});
});
