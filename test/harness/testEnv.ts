import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { objectStoreSchema, type ObjectStoreConfig, type PostgresConnectionInput } from '../../src/config/connection.schema';
import { createBucket } from '../../scripts/devstackSetup';
import type { TestEnvState } from './state';

let cached: TestEnvState | null = null;

/** The servers started by globalSetup. Throws (never skips) when they are missing. */
export function testEnv(): TestEnvState {
	if (cached) return cached;
	const file = process.env.DWH_TEST_STATE;
	if (!file) throw new Error('No test servers: DWH_TEST_STATE is unset. Run integration tests through jest (its globalSetup starts Postgres and S3).');
	try {
		cached = JSON.parse(readFileSync(file, 'utf8')) as TestEnvState;
	} catch {
		throw new Error(`No test servers: ${file} is missing. Run integration tests through jest (its globalSetup starts Postgres and S3).`);
	}
	return cached;
}

export function adminConnection(database = 'postgres'): PostgresConnectionInput {
	const e = testEnv().postgres;
	return { host: e.host, port: e.port, user: e.user, password: e.password, database, applicationName: 'dwh-test' };
}

/**
 * Creates an empty database with a unique name derived from `name` and returns a connection to it; on the shared
 * test cluster unless `server` (a superuser connection to another cluster) is given.
 */
export async function freshDatabase(name: string, server: PostgresConnectionInput = adminConnection()): Promise<PostgresConnectionInput> {
	const db = `${name
		.toLowerCase()
		.replace(/[^a-z0-9_]/g, '_')
		.slice(0, 40)}_${randomBytes(3).toString('hex')}`;
	const admin = new pg.Client({ ...server, database: 'postgres' } as pg.ClientConfig);
	await admin.connect();
	try {
		await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(db)}`);
	} finally {
		await admin.end();
	}
	return { ...server, database: db };
}

export async function dropDatabase(database: string, server: PostgresConnectionInput = adminConnection()): Promise<void> {
	const admin = new pg.Client({ ...server, database: 'postgres' } as pg.ClientConfig);
	await admin.connect();
	try {
		await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(database)} WITH (FORCE)`);
	} finally {
		await admin.end();
	}
}

/** Creates an empty bucket with a unique name and returns an object-store config for it. */
export async function freshBucket(name: string): Promise<ObjectStoreConfig> {
	const e = testEnv().s3;
	const bucket = `${name
		.toLowerCase()
		.replace(/[^a-z0-9-]/g, '-')
		.slice(0, 40)}-${randomBytes(3).toString('hex')}`.replace(/^-+/, 'b');
	await createBucket({ s3: e }, bucket);
	return objectStoreSchema.parse({
		endpoint: e.endpoint,
		region: e.region,
		accessKeyId: e.accessKeyId,
		secretAccessKey: e.secretAccessKey,
		bucket,
		prefix: 'dataacuity',
		forcePathStyle: true,
	});
}
