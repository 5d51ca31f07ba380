import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './freePort';

export type S3ServerKind = 'minio' | 's3rver';

export interface S3Server {
	kind: S3ServerKind;
	endpoint: string;
	accessKeyId: string;
	secretAccessKey: string;
	region: string;
	/** The server's process id (benchmarks read its CPU time from /proc). */
	pid?: number;
	stop(): Promise<void>;
}

/** MinIO's own server, as installed by `go install github.com/minio/minio@latest` (see .ci/run). */
export function findMinio(): string | null {
	const candidates = [
		process.env.DWH_MINIO_BIN,
		path.join(process.env.GOBIN ?? '', 'minio'),
		path.join(process.env.GOPATH ?? path.join(os.homedir(), 'go'), 'bin', 'minio'),
	].filter((p): p is string => Boolean(p));
	for (const c of candidates) if (existsSync(c)) return c;
	try {
		return execFileSync('which', ['minio']).toString().trim() || null;
	} catch {
		return null;
	}
}

function waitExit(p: ChildProcess): Promise<void> {
	if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
	return new Promise((resolve) => {
		p.once('exit', () => resolve());
		p.kill('SIGTERM');
	});
}

/**
 * Starts a real S3-compatible server on loopback as a child process: MinIO when its binary is present (or required
 * with kind 'minio'), otherwise s3rver from npm (the demo's embedded default, needs nothing but `npm install`).
 */
export async function startS3Server(opts: { baseDir: string; kind?: S3ServerKind | 'auto' }): Promise<S3Server> {
	const want = opts.kind ?? 'auto';
	const minio = findMinio();
	const kind: S3ServerKind = want === 'auto' ? (minio ? 'minio' : 's3rver') : want;
	const port = await freePort();
	const dataDir = path.join(opts.baseDir, `${kind}-data`);
	mkdirSync(dataDir, { recursive: true });
	const log = openSync(path.join(opts.baseDir, `${kind}.log`), 'a');
	if (kind === 'minio') {
		if (!minio) throw new Error('MinIO server binary not found: install it with `go install github.com/minio/minio@latest` or set DWH_MINIO_BIN');
		const accessKeyId = 'dwh-dev-access';
		const secretAccessKey = 'dwh-dev-secret-not-for-production';
		const consolePort = await freePort();
		const child = spawn(minio, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
			stdio: ['ignore', log, log],
			env: { ...process.env, MINIO_ROOT_USER: accessKeyId, MINIO_ROOT_PASSWORD: secretAccessKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off' },
		});
		await waitForPort(port, 60_000, () => child.exitCode === null);
		await waitReady(`http://127.0.0.1:${port}/minio/health/ready`);
		return { kind, endpoint: `http://127.0.0.1:${port}`, accessKeyId, secretAccessKey, region: 'us-east-1', pid: child.pid, stop: () => waitExit(child) };
	}
	const bin = require.resolve('s3rver/bin/s3rver.js');
	const child = spawn(process.execPath, [bin, '--directory', dataDir, '--address', '127.0.0.1', '--port', String(port), '--silent'], {
		stdio: ['ignore', log, log],
	});
	await waitForPort(port, 60_000, () => child.exitCode === null);
	// s3rver accepts only its fixed dev key pair.
	return {
		kind,
		endpoint: `http://127.0.0.1:${port}`,
		accessKeyId: 'S3RVER',
		secretAccessKey: 'S3RVER',
		region: 'us-east-1',
		pid: child.pid,
		stop: () => waitExit(child),
	};
}

async function waitReady(url: string): Promise<void> {
	const deadline = Date.now() + 60_000;
	for (;;) {
		try {
			const res = await fetch(url);
			if (res.ok) return;
		} catch {
			/* not yet */
		}
		if (Date.now() > deadline) throw new Error(`${url} never became ready`);
		await new Promise((r) => setTimeout(r, 200));
	}
}
