import path from 'node:path';

export const STATE_FILE = path.join(__dirname, '../../.cache/test-env/state.json');

export interface TestEnvState {
	postgres: { host: string; port: number; user: string; password: string; binDir: string };
	s3: { kind: 'minio' | 's3rver'; endpoint: string; accessKeyId: string; secretAccessKey: string; region: string };
	pid: number;
}
