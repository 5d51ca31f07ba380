import type pg from 'pg';

/**
 * A session-level advisory lock on the TARGET database (analytics_db), one per target relation. It is taken on
 * the same connection that stages and applies the push, so a killed connection frees it at once, and two
 * executions — from one n8n or from two warehouses — never interleave on the same table.
 */
const NAMESPACE = "hashtext('dataacuity.pushback')";

export async function lockTarget(client: pg.ClientBase, relation: string, waitMs: number): Promise<boolean> {
	const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${NAMESPACE}, hashtext($1)) AS locked`, [relation]);
	if (rows[0].locked) return true;
	if (waitMs <= 0) return false;
	await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(waitMs))}`);
	try {
		await client.query(`SELECT pg_advisory_lock(${NAMESPACE}, hashtext($1))`, [relation]);
		return true;
	} catch (err) {
		if ((err as { code?: string }).code === '55P03') return false;
		throw err;
	} finally {
		await client.query('RESET lock_timeout');
	}
}

export async function unlockTarget(client: pg.ClientBase, relation: string): Promise<void> {
	await client.query(`SELECT pg_advisory_unlock(${NAMESPACE}, hashtext($1))`, [relation]);
}
