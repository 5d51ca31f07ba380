import pg from 'pg';
import { beginStatement, inTransaction, openSavepoint, withSavepoint, withTransaction } from '../../../src/transport/transaction';
import { freshDatabase } from '../../harness/testEnv';

let pool: pg.Pool;

beforeAll(async () => {
	pool = new pg.Pool({ ...((await freshDatabase('tx_helpers')) as pg.PoolConfig), max: 3 });
	await pool.query('CREATE TABLE t (id int PRIMARY KEY, note text)');
});
afterAll(async () => {
	await pool.end();
});
beforeEach(async () => {
	await pool.query('TRUNCATE t');
});

const ids = async () => (await pool.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

test('withTransaction commits what the callback wrote and returns its result', async () => {
	const out = await withTransaction(pool, async (c) => {
		await c.query(`INSERT INTO t VALUES (1, 'a')`);
		return 'done';
	});
	expect(out).toBe('done');
	expect(await ids()).toEqual([1]);
});

test('withTransaction rolls back everything on a throw, rethrows it, and the client goes back to the pool clean', async () => {
	await expect(
		withTransaction(pool, async (c) => {
			await c.query(`INSERT INTO t VALUES (1, 'a')`);
			throw new Error('refused by the caller');
		}),
	).rejects.toThrow('refused by the caller');
	expect(await ids()).toEqual([]);
	// Every pooled client is outside a transaction: SAVEPOINT is refused there (25P01), so none was left open.
	const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
	try {
		for (const c of clients) await expect(c.query('SAVEPOINT probe')).rejects.toMatchObject({ code: '25P01' });
	} finally {
		for (const c of clients) c.release();
	}
});

test('a server error inside the transaction rolls back the rows written before it', async () => {
	await expect(
		withTransaction(pool, async (c) => {
			await c.query(`INSERT INTO t VALUES (1, 'a')`);
			await c.query(`INSERT INTO t VALUES (1, 'again')`);
		}),
	).rejects.toMatchObject({ code: '23505' });
	expect(await ids()).toEqual([]);
});

test('isolation and read-only options reach the server', async () => {
	expect(beginStatement({ isolation: 'SERIALIZABLE', readOnly: true, deferrable: true })).toBe('BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY DEFERRABLE');
	const seen = await withTransaction(
		pool,
		async (c) =>
			(
				await c.query<{ iso: string; ro: string }>(`SELECT current_setting('transaction_isolation') AS iso, current_setting('transaction_read_only') AS ro`)
			).rows[0],
		{ isolation: 'REPEATABLE READ', readOnly: true },
	);
	expect(seen).toEqual({ iso: 'repeatable read', ro: 'on' });
	await expect(withTransaction(pool, (c) => c.query(`INSERT INTO t VALUES (2, 'b')`), { readOnly: true })).rejects.toMatchObject({ code: '25006' });
	expect(await ids()).toEqual([]);
});

test('inTransaction on a checked-out client rolls back on a throw and leaves the session usable', async () => {
	const client = await pool.connect();
	try {
		await expect(
			inTransaction(client, async () => {
				await client.query(`INSERT INTO t VALUES (3, 'c')`);
				throw new Error('nope');
			}),
		).rejects.toThrow('nope');
		await inTransaction(client, async () => {
			await client.query(`INSERT INTO t VALUES (4, 'd')`);
		});
	} finally {
		client.release();
	}
	expect(await ids()).toEqual([4]);
});

test('inTransaction reports a session that could not roll back (its connection was ended)', async () => {
	const client = await pool.connect();
	client.on('error', () => undefined);
	let rollbackFailed = false;
	try {
		await expect(
			inTransaction(
				client,
				async () => {
					await client.query(`INSERT INTO t VALUES (5, 'e')`);
					await pool.query('SELECT pg_terminate_backend($1)', [(await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid]);
					await client.query('SELECT 1');
				},
				{ onRollbackFailed: () => (rollbackFailed = true) },
			),
		).rejects.toThrow();
	} finally {
		client.release(true);
	}
	expect(rollbackFailed).toBe(true);
	expect(await ids()).toEqual([]);
});

test('withSavepoint: a failure inside undoes only its own work, the outer transaction commits the rest', async () => {
	await withTransaction(pool, async (c) => {
		await c.query(`INSERT INTO t VALUES (10, 'outer')`);
		await expect(
			withSavepoint(c, 'tx_test_inner', async () => {
				await c.query(`INSERT INTO t VALUES (11, 'inner')`);
				await c.query(`INSERT INTO t VALUES (10, 'duplicate')`);
			}),
		).rejects.toMatchObject({ code: '23505' });
		const kept = await withSavepoint(c, 'tx_test_inner', async () => {
			await c.query(`INSERT INTO t VALUES (12, 'inner ok')`);
			return 12;
		});
		expect(kept).toBe(12);
	});
	expect(await ids()).toEqual([10, 12]);
});

test('openSavepoint: rollback then more work, release keeps it; names must be plain identifiers', async () => {
	await withTransaction(pool, async (c) => {
		const sp = await openSavepoint(c, 'tx_test_open');
		await c.query(`INSERT INTO t VALUES (20, 'undone')`);
		await sp.rollback();
		await c.query(`INSERT INTO t VALUES (21, 'kept')`);
		await sp.release();
		await expect(openSavepoint(c, 'x; DROP TABLE t')).rejects.toThrow('savepoint name "x; DROP TABLE t" is not a plain lower-case identifier');
	});
	expect(await ids()).toEqual([21]);
});
