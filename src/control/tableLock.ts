import type pg from 'pg';
import { advisoryLock, advisoryUnlock, namespacedKey, tryAdvisoryLock } from '../transport/advisoryLock';

/**
 * A session-level advisory lock per table, held by whoever is actively extracting or loading it.
 * It tells a live worker from a dead one: a run left in 'extracting' or 'loading' whose lock is free was
 * abandoned by a crashed process, so the next run may fail it and carry on instead of waiting for a timeout.
 * dwh_control.reset_watermark reads the same key in SQL.
 */
const tableKey = (table: string) => namespacedKey('dwh_control.table_pipeline', table);

export async function tryLockTable(client: pg.PoolClient, table: string): Promise<boolean> {
	return tryAdvisoryLock(client, tableKey(table));
}

/** Waits up to `timeoutMs` for the lock (a loader queues behind an extract that is finishing). */
export async function lockTable(client: pg.PoolClient, table: string, timeoutMs: number): Promise<boolean> {
	return advisoryLock(client, tableKey(table), { waitMs: Math.max(1, timeoutMs) });
}

export async function unlockTable(client: pg.PoolClient, table: string): Promise<void> {
	await advisoryUnlock(client, tableKey(table));
}

/**
 * Runs `fn` on a session of its own holding the table's lock (waiting up to `waitMs`); when the lock stays busy,
 * returns what `busy()` returns (or throws what it throws) without calling `fn`. The session goes back to the pool
 * unless it is broken: `fn` set `session.broken`, `fn` threw an error `isBroken` names, or the unlock failed.
 */
export async function withTableLock<T>(
	pool: pg.Pool,
	table: string,
	waitMs: number,
	busy: () => T,
	fn: (client: pg.PoolClient, session: { broken: boolean }) => Promise<T>,
	isBroken: (err: unknown) => boolean,
): Promise<T> {
	const client = await pool.connect();
	const session = { broken: false };
	let locked = false;
	try {
		locked = await lockTable(client, table, waitMs);
		if (!locked) return busy();
		return await fn(client, session);
	} catch (err) {
		if (isBroken(err)) session.broken = true;
		throw err;
	} finally {
		if (locked && !session.broken) await unlockTable(client, table).catch(() => (session.broken = true));
		client.release(session.broken);
	}
}
