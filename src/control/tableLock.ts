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
