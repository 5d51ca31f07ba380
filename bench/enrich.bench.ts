/**
 * `npx tsx bench/enrich.bench.ts [--rows 1000000] [--users 100000] [--knn-points 100000]`
 *
 * Starts its own Postgres, loads the whole bundled GeoNames set (~135k places), ZA holidays and 90 days of FX rates,
 * generates N anonymised events (user_hash, app, event, amount, currency, GPS rounded to 0.01° around SA towns)
 * and runs Enrich Relation with all five families. Prints per-family wall time and rows/s. Then measures the
 * nearest-place lookup alone over --knn-points distinct random points in South Africa's bounding box (the worst
 * case: no two rows share a grid cell), with the GiST index and, for 20 of them, without it (a sort of every place per point).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrateWarehouse } from '../src/control/migrate';
import { startPostgres } from '../src/devstack/postgresServer';
import { enrichRelation } from '../src/enrich/enrichRelation';
import { loadHolidays } from '../src/enrich/holidays';
import { CROSS_APP_FUNNEL } from '../src/enrich/martInputs';
import { loadPlaces } from '../src/enrich/loadPlaces';
import { createPool } from '../src/transport/postgres';
import { devConnection, createDatabases } from '../scripts/devstackSetup';

const { values } = parseArgs({
	options: {
		rows: { type: 'string', default: '1000000' },
		users: { type: 'string', default: '100000' },
		'knn-points': { type: 'string', default: '100000' },
	},
});
const ROWS = Number(values.rows);
const USERS = Number(values.users);
const KNN_POINTS = Number(values['knn-points']);

const time = async <T>(label: string, fn: () => Promise<T>): Promise<[T, number]> => {
	const t = Date.now();
	const r = await fn();
	const ms = Date.now() - t;
	console.log(`${label.padEnd(44)} ${(ms / 1000).toFixed(2).padStart(8)} s`);
	return [r, ms];
};

async function main(): Promise<void> {
	const baseDir = mkdtempSync(path.join(os.tmpdir(), 'enrich-bench-'));
	const server = await startPostgres({ baseDir });
	try {
		await createDatabases(server, ['enrich_bench']);
		const conn = devConnection(server, 'enrich_bench');
		const pool = createPool(conn);
		await migrateWarehouse(pool);
		console.log(`enrich bench: ${ROWS} rows, ${USERS} users, ${os.cpus().length} cores, PostgreSQL on 127.0.0.1:${server.port}\n`);

		const [places] = await time('load places (bundled GeoNames cities1000)', () => loadPlaces(pool, { source: 'bundled' }));
		await time('load holidays (ZA 2025-2026)', () => loadHolidays(pool, { countries: ['ZA'], fromYear: 2025, toYear: 2026 }));
		// Weekdays only, like fiat sources, so weekend rows exercise the fallback to the latest earlier rate.
		await pool.query(`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source)
			SELECT c, d::date, r * (1 + 0.01 * sin(extract(doy FROM d))), 'bench'
			  FROM generate_series(date '2026-01-01', date '2026-04-30', interval '1 day') d,
			       (VALUES ('USD', 0.055), ('EUR', 0.051), ('GBP', 0.044), ('BTC', 0.00000055)) v(c, r)
			 WHERE extract(isodow FROM d) < 6`);

		await time(`generate ${ROWS} events`, async () => {
			await pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
				CREATE TEMP TABLE towns AS SELECT row_number() OVER () AS n, lat, lng FROM marts.dim_places WHERE country_code = 'ZA';
				CREATE TABLE intermediate.bench_events AS
				SELECT g AS id,
				       encode(sha256(('u' || (1 + (g * 7919) % ${USERS}))::bytea), 'hex') AS user_hash,
				       timestamptz '2026-01-15 00:00+02' + (g % 7776000) * interval '1 second' + (g % 97) * interval '1 minute' AS event_time,
				       (ARRAY['tagme','bidbaas','sdpkt','txtme','circleaether'])[1 + g % 5] AS app,
				       (ARRAY['checkin','bid','pay','browse'])[1 + (g / 5) % 4] AS event,
				       round((5 + (g % 1000) * 1.37)::numeric, 2) AS amount,
				       (ARRAY['ZAR','ZAR','ZAR','USD','EUR'])[1 + g % 5] AS currency,
				       round((t.lat + ((g * 31) % 41 - 20) * 0.01)::numeric, 2) AS gps_lat,
				       round((t.lng + ((g * 17) % 41 - 20) * 0.01)::numeric, 2) AS gps_lng
				  FROM generate_series(1::bigint, ${ROWS}) g
				  JOIN towns t ON t.n = 1 + (g * 104729) % (SELECT count(*) FROM towns);
				ANALYZE intermediate.bench_events`);
		});
		const { rows: shape } = await pool.query(
			`SELECT count(DISTINCT (gps_lat, gps_lng))::int AS cells, count(DISTINCT user_hash)::int AS users FROM intermediate.bench_events`,
		);
		console.log(`  ${shape[0].cells} distinct 0.01° cells, ${shape[0].users} users, ${places.places} places\n`);

		const [report] = await time(`Enrich Relation, all five families`, () =>
			enrichRelation(pool, {
				source: 'intermediate.bench_events',
				target: 'intermediate.enr_bench_events',
				families: {
					temporal: { timestampColumn: 'event_time', latitudeColumn: 'gps_lat' },
					fx: { amountColumn: 'amount', timestampColumn: 'event_time', currencyColumn: 'currency' },
					geo: { latitudeColumn: 'gps_lat', longitudeColumn: 'gps_lng' },
					sessions: {
						timestampColumn: 'event_time',
						appColumn: 'app',
						eventColumn: 'event',
						// The marts' funnel (design §7.5): TagMe check-in → BidBaas bid → SDPKT payment.
						funnel: { steps: CROSS_APP_FUNNEL.steps },
					},
					segments: { asOf: '2026-04-15T00:00:00Z', activityTimestampColumn: 'event_time', activityAppColumn: 'app', revenueColumn: 'amount_zar' },
				},
			}),
		);
		for (const s of report.stages)
			console.log(
				`  ${s.family.padEnd(10)} ${(s.ms / 1000).toFixed(2).padStart(8)} s  ${Math.round(report.rows / (s.ms / 1000))
					.toLocaleString('en-US')
					.padStart(12)} rows/s`,
			);
		console.log(
			`  total      ${(report.durationMs / 1000).toFixed(2).padStart(8)} s  ${Math.round(report.rows / (report.durationMs / 1000))
				.toLocaleString('en-US')
				.padStart(12)} rows/s  (${report.rows} rows)\n`,
		);

		await pool.query(`CREATE TABLE intermediate.knn_points AS
			SELECT DISTINCT round((-34.8 + random() * 12.5)::numeric, 2)::float8 AS lat, round((16.5 + random() * 16.4)::numeric, 2)::float8 AS lng
			  FROM generate_series(1, ${Math.round(KNN_POINTS * 1.02)}) LIMIT ${KNN_POINTS}`);
		const knn = (from: string, hint = '') => `${hint}SELECT count(n.name) FROM ${from} q CROSS JOIN LATERAL (
			SELECT p.name FROM marts.dim_places p ORDER BY p.pt <-> ll_to_earth(q.lat, q.lng) LIMIT 1) n`;
		const [, knnMs] = await time(`nearest place, ${KNN_POINTS} distinct points (GiST KNN)`, () => pool.query(knn('intermediate.knn_points')));
		console.log(`  ${((knnMs * 1000) / KNN_POINTS).toFixed(1)} µs per lookup`);
		const sample = 20;
		const client = await pool.connect();
		try {
			await client.query('SET enable_indexscan = off; SET enable_bitmapscan = off');
			const [, seqMs] = await time(`nearest place, ${sample} points (no index)`, () =>
				client.query(knn(`(SELECT * FROM intermediate.knn_points LIMIT ${sample})`)),
			);
			console.log(`  ${((seqMs * 1000) / sample).toFixed(1)} µs per lookup without the index`);
		} finally {
			client.release();
		}
		await pool.end();
	} finally {
		await server.stop();
		rmSync(baseDir, { recursive: true, force: true });
	}
}

main().catch((err) => {
	console.error(err);
	process.exitCode = 1;
});
