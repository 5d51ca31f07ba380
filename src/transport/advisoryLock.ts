import type pg from 'pg';

/**
 * Postgres advisory locks, the one way the core takes them. Why advisory locks at all: n8n in queue mode runs
 * executions on several workers that share the database but nothing else, and a session lock dies with its
 * connection, so a crashed worker never leaves a stale lock behind.
 *
 * A key is the lock functions' argument list over bound parameters. The derivations below are the ones running
 * clusters already use (a table's lock is also read by SQL: dwh_control.reset_watermark); a new derivation is a new
 * lock, so an old and a new worker would no longer exclude each other mid-upgrade.
 */
export interface AdvisoryLockKey {
	/** SQL argument list for pg_*advisory_lock*, over $1, $2. */
	readonly args: string;
	readonly params: readonly (string | number)[];
}

/** (hashtext(namespace), hashtext(name)): one lock per name, and namespaces that never collide with each other's names. */
export function namespacedKey(namespace: string, name: string): AdvisoryLockKey {
	return { args: 'hashtext($1), hashtext($2)', params: [namespace, name] };
}

/** Two fixed int4 halves (a constant lock, or halves derived in code). */
export function numericKey(k1: number, k2: number): AdvisoryLockKey {
	return { args: '$1, $2', params: [k1, k2] };
}

/** hashtext(text) as one bigint key. */
export function textKey(text: string): AdvisoryLockKey {
	return { args: 'hashtext($1)', params: [text] };
}

const LOCK_NOT_AVAILABLE = '55P03';

/** Takes the session lock if it is free; never waits. */
export async function tryAdvisoryLock(client: pg.ClientBase, key: AdvisoryLockKey): Promise<boolean> {
	const { rows } = await client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock(${key.args}) AS locked`, [...key.params]);
	return rows[0].locked;
}

export interface AdvisoryLockWait {
	/** How long to queue behind the holder: 0 only tries, undefined waits as long as it takes. */
	waitMs?: number;
	/** Called once when the lock is busy and the call starts to wait (to tell an operator why nothing happens). */
	onWait?: () => void;
}

/**
 * Takes the session lock, waiting behind its holder as `waitMs` allows (lock_timeout bounds the wait, so a waiter
 * stays in the server's lock queue instead of polling). Returns false when the wait ran out.
 */
export async function advisoryLock(client: pg.ClientBase, key: AdvisoryLockKey, opts: AdvisoryLockWait = {}): Promise<boolean> {
	if (await tryAdvisoryLock(client, key)) return true;
	if (opts.waitMs !== undefined && opts.waitMs <= 0) return false;
	opts.onWait?.();
	if (opts.waitMs === undefined) {
		await client.query(`SELECT pg_advisory_lock(${key.args})`, [...key.params]);
		return true;
	}
	await client.query(`SET lock_timeout = ${Math.max(1, Math.floor(opts.waitMs))}`);
	try {
		await client.query(`SELECT pg_advisory_lock(${key.args})`, [...key.params]);
		return true;
	} catch (err) {
		if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return false;
		throw err;
	} finally {
		await client.query('RESET lock_timeout');
	}
}

/** Releases a session lock this session holds; false when it did not hold it. */
export async function advisoryUnlock(client: pg.ClientBase, key: AdvisoryLockKey): Promise<boolean> {
	const { rows } = await client.query<{ unlocked: boolean }>(`SELECT pg_advisory_unlock(${key.args}) AS unlocked`, [...key.params]);
	return rows[0].unlocked;
}

/** A transaction-scoped lock: waits for it, and COMMIT or ROLLBACK releases it (re-entrant within the transaction). */
export async function advisoryXactLock(client: pg.ClientBase, key: AdvisoryLockKey): Promise<void> {
	await client.query(`SELECT pg_advisory_xact_lock(${key.args})`, [...key.params]);
}

/**
 * Runs `fn` holding the session lock (waiting as long as it takes) and releases it afterwards, also when `fn`
 * throws. `onUnlockFailed` hears of a session that could not unlock (its connection is gone, and with it the lock):
 * a pooled client must then be released as broken.
 */
export async function withAdvisoryLock<T>(
	client: pg.ClientBase,
	key: AdvisoryLockKey,
	fn: () => Promise<T>,
	opts: { onWait?: () => void; onUnlockFailed?: () => void } = {},
): Promise<T> {
	await advisoryLock(client, key, { onWait: opts.onWait });
	try {
		return await fn();
	} finally {
		await advisoryUnlock(client, key).catch(() => opts.onUnlockFailed?.());
	}
}
