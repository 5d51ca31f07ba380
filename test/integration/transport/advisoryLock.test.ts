import pg from 'pg';
import { tryLockTable, unlockTable } from '../../../src/control/tableLock';
import { migrationLock, WAREHOUSE_MIGRATIONS } from '../../../src/control/migrate';
import { COMPLIANCE_MIGRATIONS } from '../../../src/anonymise/complianceMigrate';
import { projectLockKey } from '../../../src/dbt/projectLock';
import { lockTarget, unlockTarget } from '../../../src/pushback/targetLock';
import { lockTargetSchema } from '../../../src/pushback/targetTable';
import { lockOutputs } from '../../../src/anonymise/runner';
import {
	advisoryLock,
	advisoryUnlock,
	advisoryXactLock,
	namespacedKey,
	numericKey,
	tryAdvisoryLock,
	withAdvisoryLock,
	type AdvisoryLockKey,
} from '../../../src/transport/advisoryLock';
import { withTransaction } from '../../../src/transport/transaction';
import { freshDatabase } from '../../harness/testEnv';

let pool: pg.Pool;
let a: pg.PoolClient;
let b: pg.PoolClient;

beforeAll(async () => {
	pool = new pg.Pool({ ...((await freshDatabase('advisory_locks')) as pg.PoolConfig), max: 4 });
	[a, b] = await Promise.all([pool.connect(), pool.connect()]);
});
afterAll(async () => {
	a.release();
	b.release();
	await pool.end();
});
afterEach(async () => {
	await a.query('SELECT pg_advisory_unlock_all()');
	await b.query('SELECT pg_advisory_unlock_all()');
});

const key = namespacedKey('test.locks', 'orders');

test('try-lock is refused while another session holds the lock, and granted once it is released', async () => {
	expect(await tryAdvisoryLock(a, key)).toBe(true);
	expect(await tryAdvisoryLock(b, key)).toBe(false);
	expect(await tryAdvisoryLock(b, namespacedKey('test.locks', 'customers'))).toBe(true);
	expect(await tryAdvisoryLock(b, namespacedKey('test.other', 'orders'))).toBe(true);
	expect(await advisoryUnlock(a, key)).toBe(true);
	expect(await advisoryUnlock(a, key)).toBe(false);
	expect(await tryAdvisoryLock(b, key)).toBe(true);
});

test('a bounded wait gives up with false after the wait and leaves lock_timeout as it was', async () => {
	expect(await advisoryLock(a, key)).toBe(true);
	let waited = false;
	const started = Date.now();
	expect(await advisoryLock(b, key, { waitMs: 300, onWait: () => (waited = true) })).toBe(false);
	expect(Date.now() - started).toBeGreaterThanOrEqual(250);
	expect(waited).toBe(true);
	expect((await b.query<{ t: string }>(`SELECT current_setting('lock_timeout') AS t`)).rows[0].t).toBe('0');
	expect(await advisoryLock(b, key, { waitMs: 0 })).toBe(false);
});

test('a waiter queues and gets the lock when the holder releases it', async () => {
	expect(await tryAdvisoryLock(a, key)).toBe(true);
	const waiting = advisoryLock(b, key, { waitMs: 30_000 });
	// The waiter is in the server's lock queue (not polling) before the holder lets go.
	for (let i = 0; i < 100; i++) {
		const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`);
		if (rows[0].n === 1) break;
		await new Promise((r) => setTimeout(r, 20));
	}
	await advisoryUnlock(a, key);
	expect(await waiting).toBe(true);
	expect(await tryAdvisoryLock(a, key)).toBe(false);
});

test('withAdvisoryLock releases the lock when the work throws', async () => {
	await expect(
		withAdvisoryLock(a, key, async () => {
			expect(await tryAdvisoryLock(b, key)).toBe(false);
			throw new Error('work failed');
		}),
	).rejects.toThrow('work failed');
	expect(await tryAdvisoryLock(b, key)).toBe(true);
});

test('a transaction-scoped lock is held until COMMIT and released by a rollback', async () => {
	await withTransaction(pool, async (tx) => {
		await advisoryXactLock(tx, key);
		expect(await tryAdvisoryLock(b, key)).toBe(false);
	});
	expect(await tryAdvisoryLock(b, key)).toBe(true);
	await advisoryUnlock(b, key);
	await expect(
		withTransaction(pool, async (tx) => {
			await advisoryXactLock(tx, key);
			throw new Error('rolled back');
		}),
	).rejects.toThrow('rolled back');
	expect(await tryAdvisoryLock(b, key)).toBe(true);
});

/** Whether `sql` (the derivation running clusters and SQL functions use) names the lock session `a` holds. */
async function heldAs(sql: string, params: unknown[] = []): Promise<boolean> {
	const { rows } = await b.query<{ free: boolean }>(`SELECT pg_try_advisory_lock(${sql}) AS free`, params);
	if (rows[0].free) await b.query(`SELECT pg_advisory_unlock(${sql})`, params);
	return !rows[0].free;
}

test('every lock of the core keeps the key derivation running clusters use', async () => {
	expect(await tryLockTable(a, 'app_db__orders')).toBe(true);
	// dwh_control.reset_watermark (migrations 0007, 0070) tests the same key in SQL.
	expect(await heldAs(`hashtext('dwh_control.table_pipeline'), hashtext('app_db__orders')`)).toBe(true);
	await unlockTable(a, 'app_db__orders');
	expect(await heldAs(`hashtext('dwh_control.table_pipeline'), hashtext('app_db__orders')`)).toBe(false);

	expect(await lockTarget(a, 'bidbaas.user_summary', 0)).toBe(true);
	expect(await heldAs(`hashtext('dataacuity.pushback'), hashtext('bidbaas.user_summary')`)).toBe(true);
	await unlockTarget(a, 'bidbaas.user_summary');

	const [k1, k2] = projectLockKey('dataacuity');
	const project: AdvisoryLockKey = numericKey(k1, k2);
	expect(await tryAdvisoryLock(a, project)).toBe(true);
	expect(await heldAs('$1, $2', [k1, k2])).toBe(true);

	for (const [set, halves] of [
		[WAREHOUSE_MIGRATIONS, '1685547107, 1835624306'],
		[COMPLIANCE_MIGRATIONS, '1685547107, 1668246896'],
	] as const) {
		expect(await tryAdvisoryLock(a, migrationLock(set))).toBe(true);
		expect(await heldAs(halves)).toBe(true);
	}

	await withTransaction(pool, async (tx) => {
		await lockTargetSchema(tx, 'bidbaas');
		await lockOutputs(tx, ['int_auth__users']);
		expect(await heldAs(`hashtext('dataacuity.pushback.schema'), hashtext('bidbaas')`)).toBe(true);
		expect(await heldAs(`hashtext('anonymise:intermediate.int_auth__users')`)).toBe(true);
	});
});
