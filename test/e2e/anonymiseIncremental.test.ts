import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrateCompliance } from '../../src/anonymise/complianceMigrate';
import { registerTable } from '../harness/registerTable';
import { loadSyntheticPii, TEST_SECRETS } from '../integration/anonymise/world';
import { describeRun, executeWorkflow, importWorkflowFiles, newInstance, nodeItems, WORKFLOWS_DIR } from './harness/instance';
import { n8nCliOk, type N8nInstance } from './harness/n8nProcess';
import { anonymisationCredential, createPipeline, type E2ePipeline } from './harness/pipeline';

/**
 * The shipped workflows/dwh-anonymise-incremental.json headless in real n8n 1.123: every registered source database
 * is anonymised with Build: Incremental. The first run builds each table in full (and records its watermark); after
 * a load changes one user, the next run re-anonymises exactly that row.
 */
const TIMEOUT = 6 * 60_000;
const WORKFLOW_ID = 'dwhAnonymiseInc1';
const NODE = 'Anonymise each source (incremental)';
let inst: N8nInstance;
let p: E2ePipeline;

beforeAll(async () => {
	inst = newInstance('n8n1', 'anonymise-incremental')!;
	p = await createPipeline('e2e_anon_incr');
	await loadSyntheticPii(p.wh, 30);
	for (const table of ['users', 'sessions']) {
		await registerTable(p.wh, 'auth_db', {
			source_table: table,
			mode: 'incremental',
			load_strategy: table === 'users' ? 'upsert' : 'append',
			watermark_column: 'created_at',
			key_columns: ['id'],
			cadence: '5 minutes',
		});
	}
	// The token vault lives in the warehouse database here (its own database in production).
	await migrateCompliance(p.wh);
	const creds = [
		anonymisationCredential(p.warehouse, { salts: TEST_SECRETS.salts, hmacKey: TEST_SECRETS.hmacKey, vaultEncryptionKey: TEST_SECRETS.vaultEncryptionKey }),
	];
	const credFile = path.join(inst.userFolder, 'anonymise-credentials.json');
	writeFileSync(credFile, JSON.stringify(creds), { mode: 0o600 });
	await p.importCredentials(inst);
	await n8nCliOk(inst, ['import:credentials', `--input=${credFile}`]);
	await importWorkflowFiles(inst, [path.join(WORKFLOWS_DIR, 'dwh-anonymise-incremental.json')]);
}, TIMEOUT);
afterAll(async () => {
	await p?.close();
}, 60_000);

const byTable = (items: Array<Record<string, unknown>>) =>
	Object.fromEntries(items.map((i) => [i.table, { build: i.build, rowsOut: i.rowsOut, buildNote: i.buildNote }]));

test(
	'first run: every auth_db table with an input is built in full and published',
	async () => {
		const r = await executeWorkflow(inst, WORKFLOW_ID);
		if (!r.ok) throw new Error(describeRun(r));
		expect(byTable(nodeItems(r.output!, NODE))).toEqual({
			users: { build: 'full', rowsOut: 30, buildNote: 'full rebuild: no published build yet' },
			sessions: { build: 'full', rowsOut: expect.any(Number), buildNote: 'full rebuild: no published build yet' },
			kyc_records: { build: 'full', rowsOut: expect.any(Number), buildNote: 'full rebuild: auth_db__kyc_records is not in dwh_control.source_tables' },
			phone_pins: { build: 'full', rowsOut: expect.any(Number), buildNote: 'full rebuild: auth_db__phone_pins is not in dwh_control.source_tables' },
		});
		expect((await p.wh.query('SELECT count(*)::int AS n FROM intermediate.int_auth_db__users')).rows[0].n).toBe(30);
	},
	TIMEOUT,
);

test(
	'after a load changed one user, the next run re-anonymises only that row',
	async () => {
		await p.wh.query(`UPDATE raw.auth_db__users SET home_city = 'Qonce', _dwh_run_id = 2 WHERE id = 7`);
		const r = await executeWorkflow(inst, WORKFLOW_ID);
		if (!r.ok) throw new Error(describeRun(r));
		const built = byTable(nodeItems(r.output!, NODE));
		expect(built.users).toEqual({ build: 'incremental', rowsOut: 1, buildNote: null });
		expect(built.sessions).toEqual({ build: 'incremental', rowsOut: 0, buildNote: null });
		const { rows } = await p.wh.query(
			`SELECT count(*)::int AS n, count(*) FILTER (WHERE home_city = 'Qonce')::int AS moved FROM intermediate.int_auth_db__users`,
		);
		expect(rows[0]).toEqual({ n: 30, moved: 1 });
	},
	TIMEOUT,
);
