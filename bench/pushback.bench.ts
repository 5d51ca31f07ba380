/**
 * `npx tsx bench/pushback.bench.ts -- --rows 200000`
 *
 * Push-back of one N-row per-user summary (the shape of tagme.user_summary plus a jsonb column) from a warehouse
 * mart into analytics_db on the embedded PostgreSQL: first push (all inserts), an unchanged re-run, and a re-run
 * after 1% of the rows changed and 0.1% were deleted (mirror). Reports wall time, rows/s and this process's peak
 * RSS: the rows are piped COPY → COPY, so memory must stay flat whatever N is.
 */
import { parseArgs } from 'node:util';
import { migrateWarehouse } from '../src/control/migrate';
import { startDevStack } from '../src/devstack/stack';
import { pushTarget } from '../src/pushback/pushTarget';
import type { PushTargetInput } from '../src/pushback/target.schema';
import { createPool } from '../src/transport/postgres';
import { peakRssMb } from './peakRss';
import { devConnection, createDatabases } from '../scripts/devstackSetup';
import { printReport, runBench } from './run';

async function main(): Promise<void> {
	const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== '--'), options: { rows: { type: 'string', default: '200000' } } });
	const rows = Number(values.rows);
	if (!Number.isInteger(rows) || rows < 1000) throw new Error('--rows must be a whole number >= 1000');
	const stack = await startDevStack({ s3: 's3rver' });
	try {
		const conn = (database: string) => devConnection(stack.postgres, database);
		await createDatabases(stack.postgres, ['bench_push_wh', 'bench_push_an']);
		const wh = createPool(conn('bench_push_wh'), { role: 'bench' });
		const an = createPool(conn('bench_push_an'), { role: 'pushback' });
		await migrateWarehouse(wh);
		await wh.query(`CREATE SCHEMA IF NOT EXISTS marts; CREATE TABLE marts.agg_user_summary AS
			SELECT encode(sha256(g::text::bytea), 'hex') AS user_hash, (g % 40)::int AS checkins_7d, (g % 170)::int AS checkins_30d,
			       (ARRAY['food','music','art','sport'])[1 + g % 4] AS top_category, (ARRAY['Johannesburg','Durban','Cape Town','Gqeberha'])[1 + g % 4] AS top_city,
			       round((g % 9973) * 1.37, 2)::numeric(18,2) AS spend_zar_30d, jsonb_build_object('food', g % 7, 'music', g % 5) AS category_mix
			  FROM generate_series(1, ${rows}) g;
			ALTER TABLE marts.agg_user_summary ADD PRIMARY KEY (user_hash); ANALYZE marts.agg_user_summary;`);
		const target: PushTargetInput = {
			source: { kind: 'relation', schema: 'marts', table: 'agg_user_summary' },
			target: { schema: 'tagme', table: 'user_summary' },
			key: ['user_hash'],
			appRole: 'bench_tagme_app',
		};
		const ctx = { warehouse: wh, analytics: an };
		const report: Record<string, unknown>[] = [];
		const run = async (label: string) => {
			const t0 = Date.now();
			const r = await pushTarget(ctx, target);
			const s = (Date.now() - t0) / 1000;
			report.push({
				run: label,
				seconds: s.toFixed(2),
				rows_per_s: Math.round(rows / s),
				inserted: r.inserted,
				updated: r.updated,
				deleted: r.deleted,
				unchanged: r.unchanged,
				peak_rss_mb: peakRssMb(),
			});
		};
		await run('first push');
		await run('unchanged re-run');
		await wh.query(`UPDATE marts.agg_user_summary SET checkins_7d = checkins_7d + 1 WHERE ('x' || substr(user_hash, 1, 8))::bit(32)::int % 100 = 0`);
		await wh.query(`DELETE FROM marts.agg_user_summary WHERE abs(('x' || substr(user_hash, 1, 8))::bit(32)::int) % 1000 = 1`);
		await run('1% changed, 0.1% deleted');
		printReport(`push-back of ${rows} rows (PostgreSQL ${stack.postgres.port}, same cluster for warehouse and analytics_db)`, report);
		await Promise.all([wh.end(), an.end()]);
	} finally {
		await stack.stop();
	}
}

runBench(main);
