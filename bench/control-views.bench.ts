/**
 * `npx tsx bench/control-views.bench.ts --runs 2000000`
 *
 * What a dashboard refresh costs as the run log grows: the shipped registry is synced into a fresh warehouse on an
 * embedded PostgreSQL, `--runs` extract runs are spread over its tables (one every 5 minutes per table, 2% failed),
 * and each observability view is queried `--repeat` times; the median is reported. `--dir <folder>` migrates with
 * another migrations folder: the views before migration 0008 are files 0001..0007 from git history (they were squashed
 * into the baseline, docs/control-schema.md), e.g. `git archive 1c9db17 dwh-control-sql/migrations | tar -x` and keep
 * 0001..0007.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { defaultMigrationsDir, migrateWarehouse } from '../src/control/migrate';
import { loadRegistryFile, syncRegistry } from '../src/control/registrySync';
import { startPostgres } from '../src/devstack/postgresServer';

const VIEWS = ['v_table_freshness', 'v_recent_failures', 'v_watermark_lag'] as const;

async function main(): Promise<void> {
	const { values } = parseArgs({
		options: { runs: { type: 'string', default: '2000000' }, repeat: { type: 'string', default: '5' }, dir: { type: 'string' } },
	});
	const runs = Number(values.runs);
	const repeat = Number(values.repeat);
	const baseDir = mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-control-'));
	const server = await startPostgres({ baseDir });
	const pool = new pg.Pool({ host: server.host, port: server.port, user: server.user, password: server.password, database: 'postgres', max: 2 });
	pool.on('error', () => undefined);
	const migrationsDir = values.dir ?? defaultMigrationsDir();
	try {
		await migrateWarehouse(pool, { dir: migrationsDir });
		const registry = loadRegistryFile();
		await syncRegistry(pool, registry);
		const perTable = Math.ceil(runs / registry.tables.length);
		const t0 = Date.now();
		// Crafted history: the transition trigger is for live runs, not for a bulk-inserted past.
		await pool.query('ALTER TABLE dwh_control.extract_runs DISABLE TRIGGER extract_runs_transition');
		await pool.query(
			`INSERT INTO dwh_control.extract_runs (table_name, status, mode, run_started_at, run_finished_at, rows_extracted, error_message)
			 SELECT t.table_name, CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'loaded' END, t.mode,
			        now() - g * interval '5 minutes', now() - g * interval '5 minutes' + interval '40 seconds', 100,
			        CASE WHEN g % 50 = 0 THEN 'bench failure' END
			   FROM generate_series(1, $1::int) g CROSS JOIN dwh_control.source_tables t`,
			[perTable],
		);
		await pool.query(
			`UPDATE dwh_control.extract_watermarks SET last_loaded_at = now() - interval '4 minutes', last_extracted_at = now() - interval '5 minutes', rows_loaded_last_run = 100`,
		);
		await pool.query('ANALYZE dwh_control.extract_runs');
		const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM dwh_control.extract_runs');
		console.log(
			`run log: ${rows[0].n} runs over ${registry.tables.length} tables (built in ${((Date.now() - t0) / 1000).toFixed(
				1,
			)} s); migrations from ${migrationsDir}`,
		);
		console.log('view                 median ms   (of ' + repeat + ')');
		for (const view of VIEWS) {
			const times: number[] = [];
			for (let i = 0; i < repeat; i++) {
				const start = process.hrtime.bigint();
				await pool.query(`SELECT * FROM dwh_control.${view}`);
				times.push(Number(process.hrtime.bigint() - start) / 1e6);
			}
			times.sort((a, b) => a - b);
			console.log(`${view.padEnd(20)} ${times[Math.floor(times.length / 2)].toFixed(1).padStart(9)}`);
		}
	} finally {
		await pool.end();
		await server.stop();
		rmSync(baseDir, { recursive: true, force: true });
	}
}

main().catch((err: unknown) => {
	console.error(err instanceof Error ? err.message : err);
	process.exit(1);
});
