import path from 'node:path';
import type { S3ServerKind } from '../../src/devstack/s3Server';
import type { DevStack } from '../../src/devstack/stack';

/** One state file per jest run (keyed by the runner's pid), so parallel runs in one checkout never share servers. */
export const stateFileFor = (pid: number) => path.join(__dirname, `../../.cache/test-env/state-${pid}.json`);

export interface TestEnvState {
	postgres: { host: string; port: number; user: string; password: string; binDir: string };
	s3: { kind: 'minio' | 's3rver'; endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
	pid: number;
}

/** DWH_TEST_S3=minio|s3rver picks the S3 server; default MinIO when installed, and under CI=true MinIO or a failed run. */
export function testS3Kind(): S3ServerKind | 'auto' {
	return (process.env.DWH_TEST_S3 as S3ServerKind | undefined) ?? (process.env.CI === 'true' ? 'minio' : 'auto');
}

/** What a test needs of a started dev stack (addresses and keys, no process handles), for the state file. */
export function testEnvState(stack: DevStack): TestEnvState {
	const { postgres: pg, s3 } = stack;
	return {
		postgres: { host: pg.host, port: pg.port, user: pg.user, password: pg.password, binDir: pg.binDir },
		s3: { kind: s3.kind, endpoint: s3.endpoint, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region },
		pid: process.pid,
	};
}
