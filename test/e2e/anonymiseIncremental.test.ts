import { migrateCompliance } from '../../src/anonymise/complianceMigrate';
import { incremental, registerTable } from '../harness/registerTable';
import { loadSyntheticPii, TEST_SECRETS } from '../integration/anonymise/world';
import { nodeItems, runWorkflow } from './harness/instance';
import { anonymisationCredential, pipelineSuite } from './harness/pipeline';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * The shipped workflows/dwh-anonymise-incremental.json headless in real n8n 1.123 (Node 20) and 2.41 (Node 24): every
 * registered source database is anonymised with Build: Incremental. The first run builds each table in full (and
 * records its watermark); after a load changes one user, the next run re-anonymises exactly that row.
 */
const TIMEOUT = 6 * 60_000;
const WORKFLOW_ID = 'dwhAnonymiseInc1';
const NODE = 'Anonymise each source (incremental)';
describe.each(RUNTIME_KEYS)('dwh-anonymise-incremental on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'anonymise-incremental', 'e2e_anon_incr');

	beforeAll(async () => {
		await loadSyntheticPii(w.p.wh, 30);
		for (const table of ['users', 'sessions']) {
			await registerTable(w.p.wh, 'auth_db', incremental(table === 'users' ? 'upsert' : 'append', table, 'created_at', '5 minutes'));
		}
		// The token vault lives in the warehouse database here (its own database in production).
		await migrateCompliance(w.p.wh);
		await w.importShipped(
			['dwh-anonymise-incremental.json'],
			[
				anonymisationCredential(w.p.warehouse, {
					salts: TEST_SECRETS.salts,
					hmacKey: TEST_SECRETS.hmacKey,
					vaultEncryptionKey: TEST_SECRETS.vaultEncryptionKey,
				}),
			],
		);
	}, TIMEOUT);

	const byTable = (items: Array<Record<string, unknown>>) =>
		Object.fromEntries(items.map((i) => [i.table, { build: i.build, rowsOut: i.rowsOut, buildNote: i.buildNote }]));

	test(
		'first run: every auth_db table with an input is built in full and published',
		async () => {
			const run = await runWorkflow(w.inst, WORKFLOW_ID);
			expect(byTable(nodeItems(run, NODE))).toEqual({
				users: { build: 'full', rowsOut: 30, buildNote: 'full rebuild: no published build yet' },
				sessions: { build: 'full', rowsOut: expect.any(Number), buildNote: 'full rebuild: no published build yet' },
				kyc_records: { build: 'full', rowsOut: expect.any(Number), buildNote: 'full rebuild: auth_db__kyc_records is not in dwh_control.source_tables' },
				phone_pins: { build: 'full', rowsOut: expect.any(Number), buildNote: 'full rebuild: auth_db__phone_pins is not in dwh_control.source_tables' },
			});
			expect((await w.p.wh.query('SELECT count(*)::int AS n FROM intermediate.int_auth_db__users')).rows[0].n).toBe(30);
		},
		TIMEOUT,
	);

	test(
		'after a load changed one user, the next run re-anonymises only that row',
		async () => {
			await w.p.wh.query(`UPDATE raw.auth_db__users SET home_city = 'Qonce', _dwh_run_id = 2 WHERE id = 7`);
			const run = await runWorkflow(w.inst, WORKFLOW_ID);
			const built = byTable(nodeItems(run, NODE));
			expect(built.users).toEqual({ build: 'incremental', rowsOut: 1, buildNote: null });
			expect(built.sessions).toEqual({ build: 'incremental', rowsOut: 0, buildNote: null });
			const { rows } = await w.p.wh.query(
				`SELECT count(*)::int AS n, count(*) FILTER (WHERE home_city = 'Qonce')::int AS moved FROM intermediate.int_auth_db__users`,
			);
			expect(rows[0]).toEqual({ n: 30, moved: 1 });
		},
		TIMEOUT,
	);
});
