import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../../../src/config/connection.schema';
import { DbtProjectBusyError } from '../../../src/dbt/projectLock';
import { runDbt } from '../../../src/dbt/runDbt';
import { stageLogin, type Login } from '../../harness/loginRole';
import { dropDatabase } from '../../harness/testEnv';
import { dbtConfig, seedWarehouseDirect } from './dbtFixtures';
import { migratedWarehouse } from '../../harness/migratedWarehouse';

/** dbt Run's documented login (dwh_transform); `wh` is the superuser that seeds the warehouse. */
let warehouse: PostgresConnection;
let login: Login;
let wh: pg.Pool;
const vars = { source_dbs: { ledger_db: 'src', auth_db: 'src' } };

beforeAll(async () => {
	const { connection: admin, pool } = await migratedWarehouse('dbt_concurrency', 2);
	wh = pool;
	login = await stageLogin(admin.database, 'dwh_transform');
	warehouse = postgresConnectionSchema.parse(login.connection);
	await seedWarehouseDirect(wh, { ledger: 'src', auth: 'src' });
	const first = await runDbt(dbtConfig(warehouse), { command: 'run', select: ['source:ledger_db.transactions+', 'source:auth_db.users+'], vars });
	expect(first.summary.status).toBe('success');
});
afterAll(async () => {
	await login?.drop();
	await wh?.end();
	if (warehouse) await dropDatabase(warehouse.database);
});

test('concurrent runs each get their own artifacts and only their own nodes', async () => {
	const cfg = dbtConfig(warehouse);
	const [a, b] = await Promise.all([
		runDbt(cfg, { command: 'test', select: ['stg_ledger_db__transactions'], vars }),
		runDbt(cfg, { command: 'test', select: ['dim_user_360_anon'], vars }),
	]);
	expect(a.summary.artifactsDir).not.toBe(b.summary.artifactsDir);
	expect(path.dirname(a.summary.artifactsDir!)).toBe(path.dirname(b.summary.artifactsDir!));
	expect(a.nodes.map((n) => n.name).sort()).toEqual([
		'accepted_values_stg_ledger_db__transactions_direction__debit__credit',
		'not_null_stg_ledger_db__transactions_amount_zar',
		'not_null_stg_ledger_db__transactions_created_at',
		'not_null_stg_ledger_db__transactions_direction',
		'not_null_stg_ledger_db__transactions_transaction_id',
		'unique_stg_ledger_db__transactions_transaction_id',
	]);
	expect(b.nodes.every((n) => n.name.includes('dim_user_360_anon'))).toBe(true);
	expect(a.summary.invocationId).not.toBe(b.summary.invocationId);
	for (const r of [a, b]) {
		const rr = JSON.parse(readFileSync(path.join(r.summary.artifactsDir!, 'target', 'run_results.json'), 'utf8'));
		expect(rr.metadata.invocation_id).toBe(r.summary.invocationId);
		expect(existsSync(path.join(r.summary.artifactsDir!, 'logs', 'dbt.log'))).toBe(true);
	}
});

test('a second writing run on the same project is refused while the first holds the lock, and can queue behind it', async () => {
	const cfg = dbtConfig(warehouse);
	const first = runDbt(cfg, { command: 'run', select: ['stg_auth_db__users'], vars }, { holder: 'first-run' });
	// Let the first run take the lock (it is taken before dbt is spawned).
	await waitFor(
		async () =>
			(
				await wh.query(`SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			                  WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'dbt-lock:first-run'`)
			).rows[0].n === 1,
	);
	const refused = await runDbt(cfg, { command: 'run', select: ['stg_ledger_db__accounts'], vars }).then(
		() => null,
		(e: Error) => e,
	);
	expect(refused).toBeInstanceOf(DbtProjectBusyError);
	expect(refused!.message).toMatch(/^another dbt run is already writing to project "dataacuity" \(dbt-lock:first-run\)/);
	// Read-only commands do not take the lock.
	const readOnly = await runDbt(cfg, { command: 'test', select: ['stg_auth_db__users'], vars });
	expect(readOnly.nodes.filter((n) => n.status !== 'pass' && n.status !== 'success').map((n) => [n.name, n.status, n.message])).toEqual([]);
	expect(readOnly.summary.status).toBe('success');

	const queued = runDbt({ ...cfg, lockWaitMs: 120_000 }, { command: 'run', select: ['stg_auth_db__users'], vars });
	const [a, b] = await Promise.all([first, queued]);
	expect([a.summary.status, b.summary.status]).toEqual(['success', 'success']);
	const aEnd = a.nodes[0].completedAt!;
	const bStart = b.nodes[0].startedAt!;
	expect(bStart > aEnd).toBe(true);
});

test('a selector like "x; rm -rf /" is rejected before dbt is started', async () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'dwh-fake-dbt-'));
	const marker = path.join(dir, 'spawned');
	const fake = path.join(dir, 'dbt');
	writeFileSync(fake, `#!/bin/sh\necho "$@" > '${marker}'\nexit 2\n`);
	chmodSync(fake, 0o755);
	const cfg = dbtConfig(warehouse, { dbtBin: fake });

	await expect(runDbt(cfg, { command: 'build', select: ['x; rm -rf /'] })).rejects.toThrow(
		/^invalid dbt command: select.0: select has "x;", which is not a dbt selector/,
	);
	await expect(runDbt(cfg, { command: 'build', exclude: ['--profiles-dir /etc'] })).rejects.toThrow(
		/^invalid dbt command: exclude.0: exclude has "--profiles-dir"/,
	);
	await expect(runDbt(cfg, { command: 'test', vars: '{"a": "b"} ; reboot' as never })).rejects.toThrow(
		/^invalid dbt command: vars: vars must be a JSON object/,
	);
	expect(existsSync(marker)).toBe(false);

	// The same fake binary does get spawned for a valid selection (so the check above is meaningful), and its
	// exit code 2 with no artifacts is reported as a crash.
	const ok = await runDbt(cfg, { command: 'test', select: ['stg_auth_db__users'] });
	expect(existsSync(marker)).toBe(true);
	expect(readFileSync(marker, 'utf8')).toMatch(/^test --project-dir .* --select stg_auth_db__users\n$/);
	expect(ok.summary).toMatchObject({ status: 'error', exitCode: 2, nodeCount: 0 });
});

test('a missing dbt executable is a crash with a message that says how to install it', async () => {
	const out = await runDbt(dbtConfig(warehouse, { dbtBin: '/nonexistent/dbt' }), { command: 'test' });
	expect(out.summary).toMatchObject({ status: 'error', exitCode: null });
	expect(out.summary.errorMessage).toMatch(/^dbt executable "\/nonexistent\/dbt" not found\. Install dbt \(\.ci\/install\.d\/dbt\.sh/);
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > until) throw new Error('condition not reached');
		await new Promise((r) => setTimeout(r, 50));
	}
}
