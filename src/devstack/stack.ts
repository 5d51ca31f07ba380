import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres, type PostgresServer } from './postgresServer';
import { startS3Server, type S3Server, type S3ServerKind } from './s3Server';

/** The local stand-in for the production hosts: one Postgres cluster (source DBs + warehouse) and one S3 server. */
export interface DevStack {
	baseDir: string;
	postgres: PostgresServer;
	s3: S3Server;
	stop(): Promise<void>;
}

export async function startDevStack(opts: { baseDir?: string; s3?: S3ServerKind | 'auto'; keep?: boolean } = {}): Promise<DevStack> {
	const baseDir = opts.baseDir ?? mkdtempSync(path.join(os.tmpdir(), 'dwh-devstack-'));
	const [postgres, s3] = await Promise.all([startPostgres({ baseDir: path.join(baseDir, 'pg') }), startS3Server({ baseDir, kind: opts.s3 })]);
	return {
		baseDir,
		postgres,
		s3,
		async stop() {
			await Promise.all([postgres.stop(), s3.stop()]);
			if (!opts.keep && !opts.baseDir) rmSync(baseDir, { recursive: true, force: true });
		},
	};
}
