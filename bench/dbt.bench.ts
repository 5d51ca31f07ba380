/**
 * `npx tsx bench/dbt.bench.ts [--transactions 500000] [--users 50000]`
 *
 * The reference dbt project's full `dbt build` (staging views, marts and their tests) over N bronze transactions and
 * M users, through the DbtRun runner (real dbt from .venv, own embedded PostgreSQL 17), after Enrich built the mart
 * inputs (intermediate.enr_*) from the generated Anonymise output. Exits non-zero unless the build succeeded. Reports per-model times from
 * run_results.json, dbt's own elapsed time, and the runner's overhead on top of it (validation, lock, spawn, parsing
 * the artifacts): wall time of runDbt minus dbt's elapsed_time, which includes dbt's ~2-3 s start-up and parse.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { migrateWarehouse } from '../src/control/migrate';
import { resolveDbtBinary } from '../src/dbt/dbtBinary';
import { runDbt } from '../src/dbt/runDbt';
import { startPostgres } from '../src/devstack/postgresServer';
import { createPool } from '../src/transport/postgres';
import { enrichMartInputs } from '../src/enrich/martInputs';
import { devConnection, createDatabases, waitForClientsToLeave } from '../scripts/devstackSetup';
import { runBench } from './run';

async function main(): Promise<void> {
	const { values } = parseArgs({ options: { transactions: { type: 'string', default: '500000' }, users: { type: 'string', default: '50000' } } });
	const nTx = Number(values.transactions);
	const nUsers = Number(values.users);
	const base = mkdtempSync(path.join(os.tmpdir(), 'dwh-bench-dbt-'));
	const server = await startPostgres({ baseDir: path.join(base, 'pg') });
	try {
		await createDatabases(server, ['bench_dbt']);
		const warehouse = devConnection(server, 'bench_dbt');
		const wh = createPool(warehouse, { role: 'bench' });
		await migrateWarehouse(wh);
		const t0 = Date.now();
		await wh.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE SCHEMA IF NOT EXISTS raw; CREATE SCHEMA IF NOT EXISTS intermediate`);
		await wh.query(
			`CREATE TABLE raw.ledger_db__transactions AS
			SELECT g::bigint AS id, (g % $2 + 1)::bigint AS account_id, (g % $2 + 1)::bigint AS user_id,
			       CASE WHEN g % 7 = 0 THEN 'credit' ELSE 'debit' END AS direction, round((g % 5000) * 1.37, 2)::numeric(18,2) AS amount_zar,
			       (ARRAY['groceries','fuel','airtime','transport','restaurants'])[g % 5 + 1] AS category, 'Shop ' || (g % 300) AS merchant_name,
			       'REF' || g AS reference, 'card' AS channel, now() - (g % 90) * interval '1 day' - (g % 1440) * interval '1 minute' AS created_at,
			       1::bigint AS _dwh_run_id, now() AS _dwh_loaded_at
			  FROM generate_series(1, $1::int) g`,
			[nTx, nUsers],
		);
		await wh.query(`ALTER TABLE raw.ledger_db__transactions ADD PRIMARY KEY (id)`);
		await wh.query(
			`CREATE TABLE raw.auth_db__users AS
			SELECT g::bigint AS id, 'u' || g || '@example.co.za' AS email, '+2782' || lpad(g::text, 7, '0') AS phone_e164, date '1960-01-01' + (g % 15000) AS date_of_birth,
			       (ARRAY['Johannesburg','Cape Town','Durban','Pretoria','Gqeberha'])[g % 5 + 1] AS home_city, 'Gauteng' AS province, 'active' AS status,
			       now() - (g % 700) * interval '1 day' AS created_at, now() AS updated_at, 1::bigint AS _dwh_run_id, now() AS _dwh_loaded_at
			  FROM generate_series(1, $1::int) g`,
			[nUsers],
		);
		await wh.query(`ALTER TABLE raw.auth_db__users ADD PRIMARY KEY (id)`);
		await wh.query(`CREATE TABLE raw.ledger_db__accounts AS
			SELECT id, id AS user_id, 'ACC' || id AS account_number, 'wallet' AS account_type, 'ZAR' AS currency, 100.00::numeric(18,2) AS balance_zar, 'open' AS status,
			       created_at AS opened_at, created_at, updated_at, 1::bigint AS _dwh_run_id, now() AS _dwh_loaded_at FROM raw.auth_db__users`);
		await wh.query(`ALTER TABLE raw.ledger_db__accounts ADD PRIMARY KEY (id)`);
		await wh.query(`CREATE TABLE intermediate.int_ledger_db__transactions AS
			SELECT id AS transaction_id, encode(digest('s:' || user_id::text, 'sha256'), 'hex') AS user_hash, direction, amount_zar, category, channel, created_at FROM raw.ledger_db__transactions`);
		await wh.query(`CREATE TABLE intermediate.int_auth_db__users AS
			SELECT encode(digest('s:' || id::text, 'sha256'), 'hex') AS user_hash,
			       CASE WHEN date_of_birth > current_date - interval '35 years' THEN '25-34' ELSE '35-44' END AS age_band, home_city, province, 'ZA'::text AS country, created_at
			  FROM raw.auth_db__users`);
		// KYC tiers for dim_user_360_anon: every second user has a basic record, every third a verified one.
		await wh.query(`CREATE TABLE intermediate.int_auth_db__kyc_records AS
			SELECT id, encode(digest('s:' || id::text, 'sha256'), 'hex') AS user_hash, 'sa_id'::text AS document_type,
			       CASE WHEN id % 3 = 0 THEN 'verified' ELSE 'basic' END AS kyc_tier, 'approved'::text AS status, created_at AS verified_at
			  FROM raw.auth_db__users WHERE id % 2 = 0 OR id % 3 = 0`);
		await wh.query(`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source)
			SELECT c, d::date, CASE c WHEN 'USD' THEN 0.055 ELSE 0.0000006 END, 'bench' FROM unnest(ARRAY['USD','BTC']) c, generate_series(current_date - 100, current_date, interval '1 day') d`);
		await wh.query('ANALYZE');
		const seedS = (Date.now() - t0) / 1000;
		// The marts read the enriched relations (FX, local day, cross-app events, segments), which Enrich builds from
		// the Anonymise output: the same step the pipeline runs before dbt.
		const t1 = Date.now();
		const enriched = await enrichMartInputs(wh);
		const enrichS = (Date.now() - t1) / 1000;

		const started = Date.now();
		const out = await runDbt({ dbtBin: resolveDbtBinary(), warehouse, artifactsDir: path.join(base, 'runs') }, { command: 'build', threads: 4 });
		const wall = (Date.now() - started) / 1000;
		if (out.summary.status === 'error') throw new Error(out.summary.errorMessage ?? 'dbt crashed');
		console.log(
			`dbt build over ${nTx.toLocaleString('en')} transactions / ${nUsers.toLocaleString('en')} users (seeded in ${seedS.toFixed(1)} s, ` +
				`${enriched.built.length} mart inputs enriched in ${enrichS.toFixed(1)} s): ${out.summary.status}`,
		);
		console.log('| node | status | seconds | rows |\n|---|---|---|---|');
		for (const n of out.nodes.filter((x) => x.resourceType === 'model' || x.executionTimeS > 0.5)) {
			console.log(`| ${n.resourceType} ${n.name} | ${n.status} | ${n.executionTimeS.toFixed(2)} | ${n.rowsAffected ?? ''} |`);
		}
		const tests = out.nodes.filter((x) => x.resourceType === 'test');
		console.log(
			`| ${tests.length} tests (sum of their times) | ${Object.entries(out.summary.counts)
				.map(([k, v]) => `${v} ${k}`)
				.join(', ')} | ${tests.reduce((s, t) => s + t.executionTimeS, 0).toFixed(2)} | |`,
		);
		console.log(
			`dbt elapsed_time ${out.summary.elapsedS.toFixed(2)} s; runDbt wall ${wall.toFixed(2)} s; runner + dbt start-up overhead ${(
				wall - out.summary.elapsedS
			).toFixed(2)} s`,
		);
		await wh.end();
		// A bench whose build failed measured nothing: the failing nodes and a non-zero exit, not a table of times.
		if (out.summary.status !== 'success') {
			const bad = out.nodes.filter((n) => n.status === 'error' || n.status === 'fail').map((n) => `${n.resourceType} ${n.name}: ${n.message ?? n.status}`);
			throw new Error(`dbt build ${out.summary.status}:\n${bad.join('\n')}`);
		}
	} finally {
		await waitForClientsToLeave(server, 5000);
		await server.stop();
		rmSync(base, { recursive: true, force: true });
	}
}

runBench(main);
