import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../src/config/connection.schema';
import type { DevStack } from '../src/devstack/stack';

/**
 * What the demo, the benches and the test run set up on a dev stack (src/devstack): databases, a bucket, and waiting
 * for clients to leave before the servers stop.
 */

/** A Postgres server of the dev stack, or one started alone (startPostgres). */
export interface DevServer {
	host: string;
	port: number;
	user: string;
	password: string;
}

/** A connection to `database` on the server, as its superuser. */
export function devConnection(server: DevServer, database: string, applicationName?: string): PostgresConnection {
	const { host, port, user, password } = server;
	return postgresConnectionSchema.parse({ host, port, user, password, database, ...(applicationName ? { applicationName } : {}) });
}

/** Runs `fn` on a session to the server's `postgres` database (creating and configuring databases). */
export async function onServer<T>(server: DevServer, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
	const admin = new pg.Client(devConnection(server, 'postgres'));
	await admin.connect();
	try {
		return await fn(admin);
	} finally {
		await admin.end();
	}
}

/** Creates the databases; returns the server's version (the benches print it with their results). */
export function createDatabases(server: DevServer, names: string[]): Promise<string> {
	return onServer(server, async (admin) => {
		for (const name of names) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
		return (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
	});
}

/** Creates a bucket on the dev stack's S3 server (a DevStack, or the test run's state of it). */
export async function createBucket(
	stack: { s3: Pick<DevStack['s3'], 'endpoint' | 'region' | 'accessKeyId' | 'secretAccessKey'> },
	bucket: string,
): Promise<void> {
	const s3 = new S3Client({
		endpoint: stack.s3.endpoint,
		region: stack.s3.region,
		forcePathStyle: true,
		credentials: { accessKeyId: stack.s3.accessKeyId, secretAccessKey: stack.s3.secretAccessKey },
	});
	try {
		await s3.send(new CreateBucketCommand({ Bucket: bucket }));
	} finally {
		s3.destroy();
	}
}

/**
 * node-postgres resolves pool.end() before the removed clients' sockets have closed; stopping the server then sends
 * those half-closed clients an error nobody listens for. Waits (up to `timeoutMs`) until the server sees no other
 * client session; a server already gone has nothing to drain.
 */
export async function waitForClientsToLeave(server: DevServer, timeoutMs: number): Promise<void> {
	const admin = new pg.Client(devConnection(server, 'postgres'));
	admin.on('error', () => undefined);
	try {
		await admin.connect();
		const deadline = Date.now() + timeoutMs;
		while (Date.now() < deadline) {
			const { rows } = await admin.query<{ n: number }>(
				`SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
			);
			if (rows[0].n === 0) return;
			await new Promise((r) => setTimeout(r, 50));
		}
	} catch {
		// the server is already gone: nothing to drain
	} finally {
		await admin.end().catch(() => undefined);
	}
}
