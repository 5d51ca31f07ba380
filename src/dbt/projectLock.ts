import { createHash } from 'node:crypto';
import pg from 'pg';
import type { PostgresConnection } from '../config/connection.schema';
import { poolConfig } from '../transport/postgres';
import { advisoryUnlock, numericKey, tryAdvisoryLock } from '../transport/advisoryLock';

/**
 * One writing dbt run per project at a time, as a Postgres session-level advisory lock in the warehouse dbt
 * writes to. Why Postgres and not a lock file: n8n in queue mode runs executions on several workers, possibly on
 * different hosts, that share the warehouse but not a filesystem; and a session lock dies with its connection, so
 * a crashed worker never leaves a stale lock behind (a lock file would need a PID/heartbeat scheme to recover).
 * The key is derived from the project name, so different dbt projects on one warehouse don't block each other.
 */
export class DbtProjectBusyError extends Error {
	constructor(readonly project: string, readonly holder: string | null, waitedMs: number) {
		super(
			`another dbt run is already writing to project "${project}"${holder ? ` (${holder})` : ''}; waited ${Math.round(waitedMs / 1000)}s. ` +
				'Let it finish, or raise "Lock Wait (Seconds)" to queue behind it.',
		);
		this.name = 'DbtProjectBusyError';
	}
}

/** Two int4 halves of a 64-bit key from sha256('dataacuity.dbt:' + project). */
export function projectLockKey(project: string): [number, number] {
	const h = createHash('sha256').update(`dataacuity.dbt:${project}`).digest();
	return [h.readInt32BE(0), h.readInt32BE(4)];
}

export interface HeldProjectLock {
	/** The session holding the lock; the run log is written on it, so its rows are as trustworthy as the lock. */
	readonly session: pg.Client;
	release(): Promise<void>;
}

export async function acquireProjectLock(
	conn: PostgresConnection,
	project: string,
	opts: { waitMs?: number; holder?: string; pollMs?: number; signal?: AbortSignal } = {},
): Promise<HeldProjectLock> {
	const [k1, k2] = projectLockKey(project);
	const key = numericKey(k1, k2);
	const client = new pg.Client({ ...poolConfig(conn), application_name: `dbt-lock:${(opts.holder ?? project).slice(0, 50)}` });
	await client.connect();
	// A broken connection releases the lock server-side; swallow the client error so it cannot crash n8n.
	client.on('error', () => undefined);
	const started = Date.now();
	const waitMs = opts.waitMs ?? 0;
	try {
		for (;;) {
			if (await tryAdvisoryLock(client, key)) break;
			if (Date.now() - started >= waitMs || opts.signal?.aborted) {
				const holder = await client.query<{ application_name: string }>(
					`SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
					  WHERE l.locktype = 'advisory' AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.granted LIMIT 1`,
					[k1, k2],
				);
				throw new DbtProjectBusyError(project, holder.rows[0]?.application_name ?? null, Date.now() - started);
			}
			await new Promise((r) => setTimeout(r, Math.min(opts.pollMs ?? 500, Math.max(1, waitMs - (Date.now() - started)))));
		}
	} catch (e) {
		await client.end().catch(() => undefined);
		throw e;
	}
	return {
		session: client,
		async release() {
			try {
				await advisoryUnlock(client, key);
			} catch {
				// The connection is gone, and with it the lock: nothing left to release.
			} finally {
				await client.end().catch(() => undefined);
			}
		},
	};
}
