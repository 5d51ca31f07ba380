import type pg from 'pg';

/**
 * The one way the core opens, ends and nests transactions. Scoped forms (withTransaction, inTransaction,
 * withSavepoint) for work that fits in one callback; begin / rollbackQuietly / openSavepoint for the transactions
 * that span several steps (an extract's snapshot, a load fed while the source streams), which end elsewhere.
 */
export interface TransactionOptions {
	isolation?: 'READ COMMITTED' | 'REPEATABLE READ' | 'SERIALIZABLE';
	readOnly?: boolean;
	/** Only meaningful with SERIALIZABLE READ ONLY: waits for a snapshot that can never fail to serialise. */
	deferrable?: boolean;
}

export function beginStatement(opts: TransactionOptions = {}): string {
	let sql = 'BEGIN';
	if (opts.isolation) sql += ` ISOLATION LEVEL ${opts.isolation}`;
	if (opts.readOnly) sql += ' READ ONLY';
	if (opts.deferrable) sql += ' DEFERRABLE';
	return sql;
}

/** Opens a transaction the caller ends itself (COMMIT, or rollbackQuietly on failure). */
export async function begin(client: pg.ClientBase, opts: TransactionOptions = {}): Promise<void> {
	await client.query(beginStatement(opts));
}

/**
 * ROLLBACK that never throws, so the error that caused it is the one reported. Returns false when the session could
 * not roll back (its connection is gone or stuck): a pooled client must then be released as broken.
 */
export async function rollbackQuietly(client: pg.ClientBase): Promise<boolean> {
	return client.query('ROLLBACK').then(
		() => true,
		() => false,
	);
}

/**
 * Runs `fn` inside BEGIN … COMMIT on a client the caller holds (and releases), rolling back on any error.
 * `onRollbackFailed` hears of a session that could not roll back, so the caller can release it as broken.
 */
export async function inTransaction<T>(
	client: pg.ClientBase,
	fn: () => Promise<T>,
	opts: TransactionOptions & { onRollbackFailed?: () => void } = {},
): Promise<T> {
	try {
		await begin(client, opts);
		const result = await fn();
		await client.query('COMMIT');
		return result;
	} catch (err) {
		if (!(await rollbackQuietly(client))) opts.onRollbackFailed?.();
		throw err;
	}
}

/** Runs `fn` inside BEGIN … COMMIT on one pooled client, rolling back on any error; a client that cannot roll back is discarded. */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
	const client = await pool.connect();
	let broken = false;
	try {
		return await inTransaction(client, () => fn(client), { ...opts, onRollbackFailed: () => (broken = true) });
	} finally {
		client.release(broken);
	}
}

/** Savepoint names are constants of the code, never input; the check keeps it that way. */
const SAVEPOINT_NAME = /^[a-z_][a-z0-9_]*$/;

/** A savepoint inside the caller's transaction, for work that must be undoable without losing what came before it. */
export interface Savepoint {
	readonly name: string;
	/** Keeps the work done since the savepoint and forgets the savepoint. */
	release(): Promise<void>;
	/** Undoes the work done since the savepoint (which stays set, so it can be rolled back to again). */
	rollback(): Promise<void>;
}

export async function openSavepoint(client: pg.ClientBase, name: string): Promise<Savepoint> {
	if (!SAVEPOINT_NAME.test(name)) throw new Error(`savepoint name ${JSON.stringify(name)} is not a plain lower-case identifier`);
	await client.query(`SAVEPOINT ${name}`);
	return {
		name,
		release: async () => {
			await client.query(`RELEASE SAVEPOINT ${name}`);
		},
		rollback: async () => {
			await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
		},
	};
}

/**
 * Runs `fn` under a savepoint of the caller's transaction: on success its work is kept, on an error it is undone
 * (the transaction and everything before the savepoint stay usable) and the error is rethrown for the caller to
 * judge. If the undo itself fails (the session is gone), that error is thrown instead.
 */
export async function withSavepoint<T>(client: pg.ClientBase, name: string, fn: () => Promise<T>): Promise<T> {
	const sp = await openSavepoint(client, name);
	let result: T;
	try {
		result = await fn();
	} catch (err) {
		await sp.rollback();
		await sp.release();
		throw err;
	}
	await sp.release();
	return result;
}
