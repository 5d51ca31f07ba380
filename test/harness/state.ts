import path from 'node:path';

/** One state file per jest run (keyed by the runner's pid), so parallel runs in one checkout never share servers. */
export const stateFileFor = (pid: number) => path.join(__dirname, `../../.cache/test-env/state-${pid}.json`);

export interface TestEnvState {
	postgres: { host: string; port: number; user: string; password: string; binDir: string };
	s3: { kind: 'minio' | 's3rver'; endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
	pid: number;
}
