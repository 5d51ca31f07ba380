import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../src/config/connection.schema';
import type { DevStack } from '../src/devstack/stack';

/** The Postgres server a bench runs on: the dev stack's, or one started alone (startPostgres). */
export interface BenchServer {
	host: string;
	port: number;
	user: string;
	password: string;
}

/** A connection to `database` on the bench's server, as its superuser. */
export function benchConnection(server: BenchServer, database: string, applicationName?: string): PostgresConnection {
	const { host, port, user, password } = server;
	return postgresConnectionSchema.parse({ host, port, user, password, database, ...(applicationName ? { applicationName } : {}) });
}

/** Runs `fn` on a session to the server's `postgres` database (creating and configuring the bench's databases). */
export async function onServer<T>(server: BenchServer, fn: (admin: pg.Client) => Promise<T>): Promise<T> {
	const admin = new pg.Client(benchConnection(server, 'postgres'));
	await admin.connect();
	try {
		return await fn(admin);
	} finally {
		await admin.end();
	}
}

/** Creates the bench's databases; returns the server's version, which each bench prints with its results. */
export function createDatabases(server: BenchServer, names: string[]): Promise<string> {
	return onServer(server, async (admin) => {
		for (const name of names) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
		return (await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0].v;
	});
}

/** Creates a bucket on the dev stack's S3 server. */
export async function createBucket(stack: DevStack, bucket: string): Promise<void> {
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
