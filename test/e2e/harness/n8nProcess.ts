import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../../../src/devstack/freePort';
import type { N8nRuntime } from './runtimes';

/** One n8n "instance": a runtime plus a user folder (its SQLite DB, encryption key, installed community nodes). */
export interface N8nInstance {
	runtime: N8nRuntime;
	/** N8N_USER_FOLDER: n8n keeps its state in <userFolder>/.n8n. */
	userFolder: string;
	encryptionKey: string;
	/** Extra environment (e.g. DB_TYPE=postgresdb and the queue settings). */
	env?: Record<string, string>;
	/** Where process logs go. */
	logDir: string;
}

/**
 * The environment every n8n process of the tests gets: loopback only, nothing phones home (diagnostics, version
 * checks, templates, license renewal are off), NODE_ENV=production (jest sets `test`, which changes n8n's behaviour).
 */
export function n8nEnv(inst: N8nInstance, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
	const base: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) {
		if (k.startsWith('N8N_') || k.startsWith('DB_') || k.startsWith('QUEUE_') || k === 'NODE_OPTIONS' || k === 'EXECUTIONS_MODE') continue;
		base[k] = v;
	}
	return {
		...base,
		PATH: `${inst.runtime.pathPrefix}:${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: inst.userFolder,
		N8N_ENCRYPTION_KEY: inst.encryptionKey,
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_HOST: '127.0.0.1',
		N8N_PROTOCOL: 'http',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
		N8N_RUNNERS_ENABLED: 'true',
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_VERIFIED_PACKAGES_ENABLED: 'false',
		N8N_UNVERIFIED_PACKAGES_ENABLED: 'false',
		N8N_REINSTALL_MISSING_PACKAGES: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		EXTERNAL_FRONTEND_HOOKS_URLS: '',
		// WAL, so a CLI command can write executions while a server holds the same SQLite file open.
		DB_SQLITE_POOL_SIZE: '2',
		GENERIC_TIMEZONE: 'Africa/Johannesburg',
		...inst.runtime.env,
		...inst.env,
		...extra,
	};
}

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Runs one n8n CLI command to completion (cold start included). Each gets its own task-runner broker port. */
export async function runN8nCli(inst: N8nInstance, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
	const brokerPort = await freePort();
	const env = n8nEnv(inst, { N8N_RUNNERS_BROKER_PORT: String(brokerPort), ...opts.env });
	mkdirSync(inst.logDir, { recursive: true });
	const child = spawn(inst.runtime.node, [inst.runtime.bin, ...args], { env, cwd: inst.userFolder, stdio: ['ignore', 'pipe', 'pipe'] });
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
	child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
	const timeoutMs = opts.timeoutMs ?? 240_000;
	const code = await new Promise<number | null>((resolve, reject) => {
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`n8n ${args.join(' ')} did not finish within ${timeoutMs} ms.\nstdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`));
		}, timeoutMs);
		child.on('error', reject);
		child.on('exit', (c) => {
			clearTimeout(timer);
			resolve(c);
		});
	});
	return { code, stdout, stderr };
}

/** Like runN8nCli but throws with the command's output when it exits non-zero. */
export async function n8nCliOk(inst: N8nInstance, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
	const r = await runN8nCli(inst, args, opts);
	if (r.code !== 0) throw new Error(`n8n ${args.join(' ')} exited ${r.code}\nstdout:\n${r.stdout.slice(-6000)}\nstderr:\n${r.stderr.slice(-6000)}`);
	return r;
}

/**
 * `n8n execute --id=… --rawOutput` prints log lines, then the run data as `JSON.stringify(data, null, 2)`: the JSON
 * is the block from the first line that is exactly `{` to the last line that is exactly `}`.
 */
export function parseRawOutput(stdout: string): unknown {
	const lines = stdout.split('\n').map((l) => l.replace(/\r$/, ''));
	const start = lines.indexOf('{');
	const end = lines.lastIndexOf('}');
	if (start < 0 || end < start) throw new Error(`n8n execute printed no JSON block:\n${stdout.slice(-4000)}`);
	return JSON.parse(lines.slice(start, end + 1).join('\n'));
}

export interface N8nServer {
	port: number;
	baseUrl: string;
	logFile: string;
	process: ChildProcess;
	/** Everything the process printed so far. */
	output(): string;
	/** Resolves when the output matches `pattern` (searching from `fromOffset`), rejects on exit or timeout. */
	waitFor(pattern: RegExp, timeoutMs: number, fromOffset?: number): Promise<void>;
	stop(): Promise<void>;
}

/**
 * Starts a long-running n8n process (`start` for a main, `worker` for a queue worker) and waits until it is really
 * ready: the "Editor is now accessible" line for a main (the port answers /healthz before webhooks are registered),
 * the worker's ready line for a worker.
 */
export async function startN8nProcess(
	inst: N8nInstance,
	command: 'start' | 'worker',
	opts: { name: string; port?: number; env?: Record<string, string>; readyTimeoutMs?: number; args?: string[] },
): Promise<N8nServer> {
	const port = opts.port ?? (await freePort());
	const brokerPort = await freePort();
	const baseUrl = `http://127.0.0.1:${port}`;
	const env = n8nEnv(inst, {
		N8N_PORT: String(port),
		N8N_RUNNERS_BROKER_PORT: String(brokerPort),
		WEBHOOK_URL: `${baseUrl}/`,
		N8N_EDITOR_BASE_URL: `${baseUrl}/`,
		...opts.env,
	});
	mkdirSync(inst.logDir, { recursive: true });
	const logFile = path.join(inst.logDir, `${opts.name}.log`);
	const log = createWriteStream(logFile, { flags: 'a' });
	const child = spawn(inst.runtime.node, [inst.runtime.bin, command, ...(opts.args ?? [])], {
		env,
		cwd: inst.userFolder,
		stdio: ['ignore', 'pipe', 'pipe'],
		detached: false,
	});
	let out = '';
	const waiters = new Set<() => void>();
	const onData = (d: Buffer) => {
		out += d.toString();
		log.write(d);
		for (const w of waiters) w();
	};
	child.stdout!.on('data', onData);
	child.stderr!.on('data', onData);
	let exited = false;
	child.on('exit', () => {
		exited = true;
		for (const w of waiters) w();
	});
	const waitFor = (pattern: RegExp, timeoutMs: number, fromOffset = 0) =>
		new Promise<void>((resolve, reject) => {
			const check = () => {
				if (pattern.test(out.slice(fromOffset))) return done(resolve);
				if (exited) return done(() => reject(new Error(`${opts.name} exited before printing ${pattern}; log ${logFile}:\n${out.slice(-5000)}`)));
			};
			const timer = setTimeout(
				() => done(() => reject(new Error(`${opts.name}: no ${pattern} within ${timeoutMs} ms; log ${logFile}:\n${out.slice(-5000)}`))),
				timeoutMs,
			);
			const done = (f: () => void) => {
				clearTimeout(timer);
				waiters.delete(check);
				f();
			};
			waiters.add(check);
			check();
		});
	const stop = async () => {
		if (exited) return;
		await new Promise<void>((resolve) => {
			const kill = setTimeout(() => child.kill('SIGKILL'), 20_000);
			child.once('exit', () => {
				clearTimeout(kill);
				resolve();
			});
			child.kill('SIGTERM');
		});
		log.end();
	};
	const server: N8nServer = { port, baseUrl, logFile, process: child, output: () => out, waitFor, stop };
	const ready = command === 'start' ? /Editor is now accessible/ : /worker is now ready|Worker started execution|n8n worker is now ready/i;
	try {
		await waitFor(ready, opts.readyTimeoutMs ?? 240_000);
	} catch (err) {
		await stop();
		throw err;
	}
	return server;
}
