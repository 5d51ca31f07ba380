import type pg from 'pg';

/**
 * Runs `fn` on one session of a superuser pool switched to `role` (SET LOCAL ROLE) inside a transaction that is
 * always rolled back: what that role may read or do, without a login of its own and without leaving anything.
 */
export async function asRole<T>(pool: pg.Pool, role: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
	const c = await pool.connect();
	try {
		await c.query('BEGIN');
		await c.query(`SET LOCAL ROLE ${role}`);
		return await fn(c);
	} finally {
		await c.query('ROLLBACK');
		c.release();
	}
}
