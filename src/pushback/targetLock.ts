import type pg from 'pg';
import { advisoryLock, advisoryUnlock, namespacedKey } from '../transport/advisoryLock';

/**
 * A session-level advisory lock on the TARGET database (analytics_db), one per target relation. It is taken on
 * the same connection that stages and applies the push, so a killed connection frees it at once, and two
 * executions — from one n8n or from two warehouses — never interleave on the same table.
 */
const targetKey = (relation: string) => namespacedKey('dataacuity.pushback', relation);

/** Waits up to `waitMs` (0: only tries). */
export async function lockTarget(client: pg.ClientBase, relation: string, waitMs: number): Promise<boolean> {
	return advisoryLock(client, targetKey(relation), { waitMs: Math.max(0, waitMs) });
}

export async function unlockTarget(client: pg.ClientBase, relation: string): Promise<void> {
	await advisoryUnlock(client, targetKey(relation));
}
