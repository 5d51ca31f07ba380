import pg from 'pg';
import { readMigrations, defaultMigrationsDir } from '../../../src/control/migrate';
import { loadRegistryFile } from '../../../src/control/registryFile';
import { freshDatabase } from '../../harness/testEnv';
import { runCli } from '../../harness/runCli';

const cli = (script: 'migrate' | 'registry-sync' | 'expire-raw', args: string[], env: Record<string, string> = {}) =>
	runCli(script, args, { env, unset: ['DWH_WAREHOUSE_URL'], timeoutMs: 60_000 });

let url: string;
let password: string;
let database: string;

beforeAll(async () => {
	const conn = await freshDatabase('ctl_cli');
	password = conn.password ?? '';
	database = conn.database;
	url = `postgres://${conn.user}:${encodeURIComponent(password)}@${conn.host}:${conn.port}/${conn.database}`;
});

test('the test cluster has a password, so "never printed" below means something', () => {
	expect(password.length).toBeGreaterThan(3);
});

test('dwh:migrate --dry-run lists pending files, then a real run applies them, asserts, and never prints the password', async () => {
	const files = readMigrations(defaultMigrationsDir()).map((f) => f.file);
	const dry = await cli('migrate', ['--url', url, '--dry-run']);
	expect(dry.code).toBe(0);
	expect(dry.stdout).toContain(`warehouse postgres://postgres:***@`);
	for (const f of files) expect(dry.stdout).toContain(`pending  ${f}`);
	expect(dry.stdout).toContain(`dry run: ${files.length} pending, 0 already applied; nothing was changed`);

	const first = await cli('migrate', [], { DWH_WAREHOUSE_URL: url });
	expect(first.code).toBe(0);
	for (const f of files) expect(first.stdout.match(new RegExp(`applied  ${f} \\(\\d+ ms\\)`, 'g'))).toHaveLength(1);
	expect(first.stdout).toContain(`${files.length} applied, 0 skipped`);
	expect(first.stdout).toContain('assertions ok: roles and grants in place, 0 bronze table(s)');

	const second = await cli('migrate', ['--url', url]);
	expect(second.code).toBe(0);
	expect(second.stdout).toContain(`0 applied, ${files.length} skipped`);
	for (const out of [dry, first, second]) expect(out.stdout + out.stderr).not.toContain(password);
});

test('dwh:registry-sync adds the shipped registry, then reports it unchanged', async () => {
	const n = loadRegistryFile().tables.length;
	const first = await cli('registry-sync', ['--url', url]);
	expect(first.code).toBe(0);
	expect(first.stdout).toContain('added       auth_db__users\n');
	expect(first.stdout).toMatch(new RegExp(`registry \\S+: ${n} added, 0 changed, 0 unchanged, 0 disabled\\n`));
	const second = await cli('registry-sync', ['--url', url, '--dry-run']);
	expect(second.stdout).toMatch(new RegExp(`: 0 added, 0 changed, ${n} unchanged, 0 disabled \\(dry run: nothing was written\\)`));
	const wh = new pg.Client({ connectionString: url });
	await wh.connect();
	const { rows } = await wh.query('SELECT count(*)::int AS n FROM dwh_control.source_tables');
	await wh.end();
	expect(rows[0].n).toBe(n);
	expect(first.stdout + first.stderr).not.toContain(password);
});

test('dwh:expire-raw goes through every append table of the synced registry (no bronze yet: each skipped) and audits it', async () => {
	const appends = loadRegistryFile().tables.filter((t) => t.load_strategy === 'append').length;
	const r = await cli('expire-raw', ['--url', url, '--batch-size', '500']);
	expect(r.code).toBe(0);
	expect(r.stdout).toMatch(
		/skipped {3}apps_db__app_events: 0 rows removed in 0 batch\(es\), loaded before .+ \(90 days\) — raw\.apps_db__app_events does not exist \(never loaded\)\n/,
	);
	expect(r.stdout).toContain(`${appends} table(s), 0 rows removed, 0 failed\n`);
	expect(r.stdout + r.stderr).not.toContain(password);
	const bad = await cli('expire-raw', ['--url', url, '--batch-size', 'lots']);
	expect(bad.code).toBe(2);
	expect(bad.stderr).toContain('--batch-size must be a positive integer, got lots');
	const wh = new pg.Client({ connectionString: url });
	await wh.connect();
	const { rows } = await wh.query(`SELECT count(*)::int AS n FROM dwh_control.retention_runs WHERE status = 'skipped'`);
	await wh.end();
	expect(rows[0].n).toBe(appends);
});

test('a wrong password fails with exit 1 and is not echoed; no URL at all is a usage error (exit 2)', async () => {
	const wrong = 'Wr0ng-Pa55-xyz';
	const bad = await cli('migrate', ['--url', `postgres://postgres:${wrong}@127.0.0.1:${new URL(url).port}/${database}`]);
	expect(bad.code).toBe(1);
	expect(bad.stderr).toMatch(/password authentication failed/);
	expect(bad.stdout + bad.stderr).not.toContain(wrong);
	const none = await cli('registry-sync', []);
	expect(none.code).toBe(2);
	expect(none.stderr).toContain('No warehouse: pass --url');
	expect(none.stderr).toContain('Usage: dwh-registry-sync (in a checkout: npm run dwh:registry-sync --)');
});
