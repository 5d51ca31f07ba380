import type { PostgresConnection } from '../../../src/config/connection.schema';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { runDbt } from '../../../src/dbt/runDbt';
import type { DbtRunOutcome } from '../../../src/dbt/runOutcome';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { createWorld, type World } from '../pipeline/world';
import { dbtConfig, seedFx, SOURCE_DDL, SOURCE_ROWS, writeIntermediate } from './dbtFixtures';
import { incremental } from '../../harness/registerTable';

let w: World;
/** dbt Run's documented login (dwh_transform); the extract and load before it run as dwh_etl (the world's). */
let dbtLogin: PostgresConnection;
let vars: Record<string, unknown>;
let txTable: string;
let usersTable: string;

const byName = (o: DbtRunOutcome, name: string) => o.nodes.find((n) => n.name === name);
const bad = (o: DbtRunOutcome) => o.nodes.filter((n) => ['error', 'fail', 'runtime error'].includes(n.status));

beforeAll(async () => {
	w = await createWorld('dbt_after_load');
	dbtLogin = await w.login('dwh_transform');
	await w.src.query(SOURCE_DDL);
	await w.src.query(SOURCE_ROWS);
	txTable = await w.register(incremental('append', 'transactions', 'created_at', '5 minutes'));
	usersTable = await w.register(incremental('upsert', 'users', 'updated_at', '15 minutes'));
	for (const table of [txTable, usersTable]) {
		const ex = await extractTable(w.ctx, table);
		const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
		expect(ld.status).toBe('loaded');
	}
	await seedFx(w.wh);
	await writeIntermediate(w.wh, txTable, usersTable);
	// Bronze is raw.<source db>__<table>; this cluster's source database has a test name.
	vars = { source_dbs: { ledger_db: w.source.database, auth_db: w.source.database } };
});
afterAll(() => w?.close());

test('after a load, the models downstream of the loaded tables build and all their tests pass', async () => {
	const logs: string[] = [];
	const out = await runDbt(
		dbtConfig(dbtLogin),
		{ command: 'build', select: ['source:ledger_db.transactions+', 'source:auth_db.users+'], vars },
		{ onLog: (l) => logs.push(l.event) },
	);

	expect(bad(out)).toEqual([]);
	expect(out.summary).toMatchObject({ backend: 'core', command: 'build', status: 'success', exitCode: 0, errorMessage: null, dbtVersion: '1.9.8' });
	const models = out.nodes
		.filter((n) => n.resourceType === 'model')
		.map((n) => [n.name, n.status])
		.sort();
	expect(models).toEqual([
		['agg_revenue_daily_app_country', 'success'],
		['dim_user_360_anon', 'success'],
		['fct_ledger_transactions_anon', 'success'],
		['stg_auth_db__users', 'success'],
		['stg_ledger_db__transactions', 'success'],
	]);
	expect(byName(out, 'fct_ledger_transactions_anon')).toMatchObject({
		rowsAffected: 600,
		message: 'SELECT 600',
		relation: expect.stringContaining('"marts"."fct_ledger_transactions_anon"'),
	});
	// Each day has 6 paying users: published (k >= 5) but flagged by the k < 10 warning test.
	expect(out.nodes.find((n) => n.name === 'agg_revenue_daily_app_country_k_warn_below_10')).toMatchObject({ status: 'warn', failures: 10 });
	expect(out.nodes.find((n) => n.name === 'agg_revenue_daily_app_country_k_fail_below_5')?.status).toBe('pass');
	expect(out.summary.counts.error ?? 0).toBe(0);
	expect(logs).toContain('LogModelResult');
	// Every node's result is logged per run; the k < 10 warning is what the P2 k-anonymity alert reads (issue 15).
	expect((await nodeResults(out.summary.runId)).length).toBe(out.nodes.length);
	expect(await nodeMetric('agg_revenue_daily_app_country_k_warn_below_10')).toEqual({
		test_kind: 'k_anonymity',
		failed: 0,
		warned: 1,
		passed: 0,
		failures: 10,
	});
	expect(await nodeMetric('fct_ledger_transactions_anon')).toMatchObject({ test_kind: '', passed: 1 });

	// The marts hold what the source says, computed independently from the source database.
	const src = (await w.src.query(`SELECT count(*)::int AS n, sum(amount_zar) FILTER (WHERE direction = 'debit')::text AS revenue FROM public.transactions`))
		.rows[0];
	const fct = (await w.wh.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE amount_usd IS NULL)::int AS no_fx FROM marts.fct_ledger_transactions_anon`))
		.rows[0];
	expect(fct).toEqual({ n: src.n, no_fx: 0 });
	const agg = (
		await w.wh.query(`SELECT count(*)::int AS n, sum(revenue_zar)::text AS revenue, min(user_count)::int AS k FROM marts.agg_revenue_daily_app_country`)
	).rows[0];
	expect(agg).toEqual({ n: 10, revenue: src.revenue, k: 6 });
	// 63 users: the 3 in Polokwane are a group below k even after generalising city and province, so they are suppressed.
	const dim = (await w.wh.query(`SELECT count(*)::int AS n, count(DISTINCT (age_band, province, city))::int AS groups FROM marts.dim_user_360_anon`)).rows[0];
	expect(dim).toEqual({ n: 60, groups: 2 });
	// Staging is a view with PII still present, deduplicated on the key.
	const stg = (await w.wh.query(`SELECT count(*)::int AS n, count(DISTINCT transaction_id)::int AS ids FROM staging.stg_ledger_db__transactions`)).rows[0];
	expect(stg).toEqual({ n: 600, ids: 600 });

	// Artifacts are this run's own.
	const rr = JSON.parse(readFileSync(path.join(out.summary.artifactsDir!, 'target', 'run_results.json'), 'utf8'));
	expect(rr.results).toHaveLength(out.nodes.length);

	// The run log says what ran and how it ended.
	expect(out.summary.runLogError).toBeUndefined();
	expect(await runLog(out.summary.runId)).toEqual({
		command: 'build',
		selection: ['source:ledger_db.transactions+', 'source:auth_db.users+'],
		status: 'success',
		exit_code: 0,
		finished: true,
		node_count: out.nodes.length,
		counts: out.summary.counts,
		dbt_version: '1.9.8',
		artifacts_dir: out.summary.artifactsDir,
		error_message: null,
		n8n_execution_id: null,
	});
});

const runLog = async (runId: string) =>
	(
		await w.wh.query(
			`SELECT command, selection, status, exit_code, finished_at IS NOT NULL AS finished, node_count, counts, dbt_version, artifacts_dir, error_message, n8n_execution_id
			   FROM dwh_control.dbt_runs WHERE run_id = $1`,
			[runId],
		)
	).rows[0];
const nodeResults = async (runId: string) =>
	(await w.wh.query(`SELECT name, resource_type, status, failures::text FROM dwh_control.dbt_node_results WHERE run_id = $1 ORDER BY name`, [runId])).rows;
const nodeMetric = async (name: string) =>
	(await w.wh.query(`SELECT test_kind, failed::int, warned::int, passed::int, failures::int FROM dwh_control.metrics_dbt_node WHERE name = $1`, [name]))
		.rows[0];
const failure = async (runId: string) =>
	(await w.wh.query(`SELECT status, error_message, recovered FROM dwh_control.v_dbt_recent_failures WHERE run_id = $1`, [runId])).rows[0];

test("a failing model gives a failed run with dbt's database message, and its dependants are skipped", async () => {
	await w.wh.query(`ALTER TABLE intermediate.enr_ledger_transactions RENAME TO enr_ledger_transactions_moved`);
	try {
		const out = await runDbt(dbtConfig(dbtLogin), { command: 'run', select: ['fct_ledger_transactions_anon+'], vars });
		expect(out.summary).toMatchObject({ status: 'failed', exitCode: 1 });
		const fct = byName(out, 'fct_ledger_transactions_anon')!;
		expect(fct.status).toBe('error');
		expect(fct.message).toMatch(/relation "intermediate.enr_ledger_transactions" does not exist/);
		expect(out.summary.errorMessage).toBe(`model.dataacuity.fct_ledger_transactions_anon: ${fct.message}`);
		expect(byName(out, 'agg_revenue_daily_app_country')?.status).toBe('skipped');
		expect(await failure(out.summary.runId)).toEqual({ status: 'failed', error_message: out.summary.errorMessage, recovered: false });

		// retry reruns only what failed or was skipped, once the cause is fixed.
		await w.wh.query(`ALTER TABLE intermediate.enr_ledger_transactions_moved RENAME TO enr_ledger_transactions`);
		const retry = await runDbt(dbtConfig(dbtLogin), { command: 'retry', retryOf: out.summary.artifactsDir!, vars });
		expect(retry.summary.status).toBe('success');
		expect(retry.nodes.map((n) => n.name).sort()).toEqual(['agg_revenue_daily_app_country', 'fct_ledger_transactions_anon']);
		// The successful retry of this very run recovers it in the failures view.
		expect(await failure(out.summary.runId)).toMatchObject({ status: 'failed', recovered: true });
	} finally {
		await w.wh.query(`ALTER TABLE IF EXISTS intermediate.enr_ledger_transactions_moved RENAME TO enr_ledger_transactions`);
	}
});

test('the PII-absence test fails an intermediate relation that still holds e-mail addresses', async () => {
	await w.wh.query(`ALTER TABLE intermediate.int_auth_db__users ADD COLUMN contact text`);
	await w.wh.query(`UPDATE intermediate.int_auth_db__users SET contact = 'someone.' || left(user_hash, 8) || '@example.co.za'`);
	try {
		const out = await runDbt(dbtConfig(dbtLogin), { command: 'test', select: ['source:intermediate.users'], vars });
		expect(out.summary).toMatchObject({ status: 'failed', exitCode: 1 });
		expect(out.nodes.filter((n) => n.status !== 'pass').map((n) => n.name)).toEqual(['intermediate_users_pii_absent']);
		const pii = out.nodes.find((n) => n.name === 'intermediate_users_pii_absent')!;
		expect(pii).toMatchObject({ status: 'fail', failures: 1, message: 'Got 1 result, configured to fail if != 0' });
		// A read-only run takes no lock, and is still in the run log, with every test's result (issue 15).
		expect(await runLog(out.summary.runId)).toMatchObject({
			command: 'test',
			selection: ['source:intermediate.users'],
			status: 'failed',
			exit_code: 1,
			finished: true,
		});
		expect(await nodeResults(out.summary.runId)).toEqual(
			out.nodes
				.map((n) => ({ name: n.name, resource_type: 'test', status: n.status, failures: String(n.failures) }))
				.sort((a, b) => a.name.localeCompare(b.name)),
		);
		expect(await nodeMetric('intermediate_users_pii_absent')).toEqual({ test_kind: 'pii_absent', failed: 1, warned: 0, passed: 0, failures: 1 });
	} finally {
		await w.wh.query(`ALTER TABLE intermediate.int_auth_db__users DROP COLUMN contact`);
	}
});

test('the k-anonymity test fails a user mart published with groups below 5', async () => {
	const out = await runDbt(dbtConfig(dbtLogin), { command: 'build', select: ['dim_user_360_anon'], vars: { ...vars, k_min: 1 } });
	expect(out.summary.status).toBe('failed');
	// Polokwane's users 61..63 fall in two age bands: groups of 2 and 1.
	expect(out.nodes.find((n) => n.name === 'dim_user_360_anon_k_fail_below_5')).toMatchObject({ status: 'fail', failures: 2 });
	expect(out.nodes.find((n) => n.name === 'dim_user_360_anon_k_warn_below_10')).toMatchObject({ status: 'warn' });
});

test('the run log: a run its executor abandoned is closed by the next run of the project; a warehouse without the log still runs dbt', async () => {
	await w.wh.query(
		`INSERT INTO dwh_control.dbt_runs (run_id, project, command, status, started_at) VALUES ('dead-run', 'dataacuity', 'build', 'running', now() - interval '2 hours')`,
	);
	const out = await runDbt(dbtConfig(dbtLogin), { command: 'run', select: ['stg_auth_db__users'], vars }, { executionId: '4711' });
	expect(out.summary.status).toBe('success');
	expect(await runLog(out.summary.runId)).toMatchObject({ command: 'run', selection: ['stg_auth_db__users'], status: 'success', n8n_execution_id: '4711' });
	expect(await failure('dead-run')).toEqual({ status: 'error', error_message: expect.stringMatching(/^abandoned: /), recovered: false });

	await w.wh.query('ALTER TABLE dwh_control.dbt_runs RENAME TO dbt_runs_away');
	try {
		const unlogged = await runDbt(dbtConfig(dbtLogin), { command: 'run', select: ['stg_auth_db__users'], vars });
		expect(unlogged.summary.status).toBe('success');
		expect(unlogged.summary.runLogError).toMatch(
			/^dbt run not recorded in dwh_control.dbt_runs: relation "dwh_control.dbt_runs" does not exist \[SQLSTATE 42P01\] \(run npm run dwh:migrate\)$/,
		);
	} finally {
		await w.wh.query('ALTER TABLE dwh_control.dbt_runs_away RENAME TO dbt_runs');
	}
});

test('source freshness is logged per source with its age; dbt writes its log file as JSON lines for a log shipper', async () => {
	const out = await runDbt(dbtConfig(dbtLogin), { command: 'source freshness', select: ['source:ledger_db.transactions', 'source:auth_db.users'], vars });
	expect(out.summary.status).toBe('success');
	expect(await runLog(out.summary.runId)).toMatchObject({ command: 'source freshness', status: 'success', finished: true, node_count: 2 });
	const rows = (
		await w.wh.query(
			`SELECT m.name, m.test_kind, m.revenue_critical, m.passed::int, m.freshness_age_seconds < 7200 AS recent
			   FROM dwh_control.metrics_dbt_node m WHERE m.resource_type = 'source' ORDER BY m.name`,
		)
	).rows;
	expect(rows).toEqual([
		{ name: 'auth_db.users', test_kind: 'freshness', revenue_critical: 'false', passed: 1, recent: true },
		{ name: 'ledger_db.transactions', test_kind: 'freshness', revenue_critical: 'true', passed: 1, recent: true },
	]);
	const log = readFileSync(path.join(out.summary.artifactsDir!, 'logs', 'dbt.log'), 'utf8').trim().split('\n');
	expect(log.length).toBeGreaterThan(3);
	for (const line of log)
		expect(JSON.parse(line)).toMatchObject({ info: { name: expect.any(String), level: expect.any(String), invocation_id: expect.any(String) } });
});
