import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { requireDbt, seedWarehouseDirect, SOURCE_DDL, SOURCE_ROWS } from '../integration/dbt/dbtFixtures';
import { e2eState } from './harness/e2eState';
import { describeRun, executeWorkflow, importWorkflowFiles, newInstance, nodeItems, WORKFLOWS_DIR } from './harness/instance';
import { n8nCliOk, type N8nInstance } from './harness/n8nProcess';
import { createN8nDatabase, createPipeline, type E2ePipeline } from './harness/pipeline';

/**
 * workflows/dwh-load-transform-push.json headless in real n8n 1.123: extract + load of the due tables, then a dbt
 * build of exactly what is downstream of the tables that received rows (`source:<db>.<table>+`), then push-back.
 * The source databases carry their production names (ledger_db, auth_db), because that is what the reference
 * dbt project's sources are called.
 */
const TIMEOUT = 10 * 60_000;
const WORKFLOW_ID = 'dwhLoadTransfrm1';
const SOURCE_DBS = ['ledger_db', 'auth_db'];

let inst: N8nInstance;
let p: E2ePipeline;
const sources = new Map<string, pg.Pool>();

function admin(): pg.Client {
	const pgs = e2eState().stack.postgres;
	return new pg.Client({ host: pgs.host, port: pgs.port, user: pgs.user, password: pgs.password, database: 'postgres' });
}

beforeAll(async () => {
	const dbtBin = requireDbt();
	inst = newInstance('n8n1', 'dbt-after-load')!;
	p = await createPipeline('e2e_dbtld');
	const a = admin();
	await a.connect();
	try {
		for (const db of SOURCE_DBS) {
			await a.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
			await a.query(`CREATE DATABASE ${db}`);
		}
	} finally {
		await a.end();
	}
	const pgs = e2eState().stack.postgres;
	for (const db of SOURCE_DBS) {
		const pool = new pg.Pool({ host: pgs.host, port: pgs.port, user: pgs.user, password: pgs.password, database: db, max: 2 });
		await pool.query(SOURCE_DDL);
		await pool.query(SOURCE_ROWS);
		sources.set(db, pool);
	}
	for (const [db, table, strategy, watermark] of [
		['ledger_db', 'transactions', 'append', 'created_at'],
		['auth_db', 'users', 'upsert', 'updated_at'],
	]) {
		await p.wh.query(
			`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
			 VALUES ($1, $2, $3, 'incremental', $4, $5, ARRAY['id'], '1 second')`,
			[`${db}__${table}`, db, table, strategy, watermark],
		);
		await p.wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1)`, [`${db}__${table}`]);
	}
	// The Anonymise output and FX rates the marts read, for the same generated users and transactions.
	await seedWarehouseDirect(p.wh, { ledger: 'anon_seed', auth: 'anon_seed' });
	await p.wh.query(`DROP TABLE raw.anon_seed__transactions, raw.anon_seed__users`);

	const analytics = await createN8nDatabase('e2e_dbtld_an');
	const creds = [
		{
			id: 'dwhTestDbt000001',
			name: 'DataAcuity dbt',
			type: 'dataAcuityDbt',
			data: { dbtBin, artifactsDir: mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-dbt-runs-')), connectionSource: 'credential' },
		},
		{
			id: 'dwhTestAnalytics',
			name: 'DataAcuity Analytics DB',
			type: 'dataAcuityPostgresAnalytics',
			data: { ...analytics, sslMode: 'disable', maxConnections: 4, statementTimeoutMs: 0, applicationName: 'dwh-e2e-analytics' },
		},
	];
	const credFile = path.join(inst.userFolder, 'dbt-after-load-credentials.json');
	writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
	await p.importCredentials(inst);
	await n8nCliOk(inst, ['import:credentials', `--input=${credFile}`]);
	await importWorkflowFiles(inst, [path.join(WORKFLOWS_DIR, 'dwh-load-bronze.json'), path.join(WORKFLOWS_DIR, 'dwh-load-transform-push.json')]);
}, TIMEOUT);

afterAll(async () => {
	for (const pool of sources.values()) await pool.end();
	await p?.close();
}, 60_000);

test(
	'after the loads, dbt builds exactly the models downstream of the loaded tables, their tests pass, and push-back runs',
	async () => {
		const r = await executeWorkflow(inst, WORKFLOW_ID, { timeoutMs: 8 * 60_000 });
		if (!r.ok) throw new Error(describeRun(r));

		const loaded = nodeItems(r.output!, 'Tables that received rows')
			.map((i) => [i.table, i.rowsInserted])
			.sort();
		expect(loaded).toEqual([
			['auth_db__users', 63],
			['ledger_db__transactions', 600],
		]);
		const dbt = nodeItems(r.output!, 'dbt build downstream');
		const summary = dbt.at(-1)!;
		expect(summary).toMatchObject({ kind: 'summary', command: 'build', status: 'success', exitCode: 0 });
		expect(
			dbt
				.filter((i) => i.resourceType === 'model')
				.map((i) => i.name)
				.sort(),
		).toEqual(['agg_revenue_daily_app_country', 'dim_user_360_anon', 'fct_ledger_transactions_anon', 'stg_auth_db__users', 'stg_ledger_db__transactions']);
		// ledger_db.accounts was not registered, so its staging model is not downstream of anything loaded.
		expect(dbt.some((i) => i.name === 'stg_ledger_db__accounts')).toBe(false);
		expect(dbt.filter((i) => ['error', 'fail', 'skipped', 'runtime error'].includes(String(i.status)))).toEqual([]);

		const fct = await p.wh.query(`SELECT count(*)::int AS n FROM marts.fct_ledger_transactions_anon`);
		expect(fct.rows[0].n).toBe(600);
		const pushed = nodeItems(r.output!, 'Push back user lifecycle');
		expect(pushed).toHaveLength(1);
		expect(JSON.stringify(pushed[0])).toContain('shared.user_lifecycle');
	},
	TIMEOUT,
);
