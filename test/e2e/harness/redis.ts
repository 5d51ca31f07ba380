import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitForPort } from '../../../src/devstack/freePort';

export interface RedisServer {
	port: number;
	stop(): Promise<void>;
}

/** Debian's redis-server on a free loopback port, no persistence: the queue for n8n's queue mode. */
export async function startRedis(bin: string, dir: string): Promise<RedisServer> {
	mkdirSync(dir, { recursive: true });
	const port = await freePort();
	const child = spawn(
		bin,
		['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', path.join(dir, 'redis.log')],
		{
			stdio: 'ignore',
		},
	);
	let exited = false;
	child.on('exit', () => (exited = true));
	await waitForPort(port, 30_000, () => !exited);
	return {
		port,
		stop: () =>
			new Promise<void>((resolve) => {
				if (exited) return resolve();
				child.once('exit', () => resolve());
				child.kill('SIGTERM');
			}),
	};
}
