import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startDevStack, type DevStack } from '../../src/devstack/stack';
import { stateFileFor, testEnvState, testS3Kind } from './state';

declare global {
	// eslint-disable-next-line no-var
	var __DWH_STACK__: DevStack | undefined;
}

/**
 * Starts one real Postgres cluster and one real S3 server for the whole run (cold start paid once); each test
 * file then takes its own databases and bucket from them. DWH_TEST_S3=minio|s3rver picks the S3 server
 * (default: MinIO when installed). Under CI=true nothing is optional: a missing server fails the run.
 */
export default async function globalSetup(): Promise<void> {
	const stack = await startDevStack({ s3: testS3Kind() });
	globalThis.__DWH_STACK__ = stack;
	const state = testEnvState(stack);
	const file = stateFileFor(process.pid);
	mkdirSync(path.dirname(file), { recursive: true });
	writeFileSync(file, JSON.stringify(state, null, 2));
	// Workers are forked after globalSetup and inherit this, so every test file finds this run's servers.
	process.env.DWH_TEST_STATE = file;
	// eslint-disable-next-line no-console
	console.log(`\n[test env] postgres 127.0.0.1:${stack.postgres.port} (${stack.postgres.binDir}), ${stack.s3.kind} ${stack.s3.endpoint}`);
}
