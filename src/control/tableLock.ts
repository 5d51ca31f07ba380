import type pg from 'pg';

/**
 * A session-level advisory lock per table, held by whoever is actively extracting or loading it.
 * It tells a live worker from a dead one: a run left in 'extracting' or 'loading' whose lock is free was
 * abandoned by a crashed process, so the next run may fail it and carry on instead of waiting for a timeout.
 */
const LOCK_SQL_KEY = "hashtext('dwh_control.table_pipeline')";

export async function tryLockTable(client: pg.PoolClient, table: string): Promise<boolean> {
	const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${LOCK_SQL_KEY}, hashtext($1)) AS locked`, [table]);
	return rows[0].locked;
}

/** Waits up to `timeoutMs` for the lock (a loader queues behind an extract that is finishing). */
export async function lockTable(client: pg.PoolClient, table: string, timeoutMs: number): Promise<boolean> {
	await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(timeoutMs))}`);
	try {
		await client.query(`SELECT pg_advisory_lock(${LOCK_SQL_KEY}, hashtext($1))`, [table]);
		return true;
	} catch (err) {
		if ((err as { code?: string }).code === '55P03') return false;
		throw err;
	} finally {
		await client.query('RESET lock_timeout');
	}
}

export async function unlockTable(client: pg.PoolClient, table: string): Promise<void> {
	await client.query(`SELECT pg_advisory_unlock(${LOCK_SQL_KEY}, hashtext($1))`, [table]);
}
