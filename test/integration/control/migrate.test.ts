import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import {
	defaultMigrationsDir,
	MigrationChecksumError,
	MigrationSquashError,
	migrateWarehouse,
	readMigrations,
	readSquashManifest,
} from '../../../src/control/migrate';
import { defaultComplianceDir, migrateCompliance } from '../../../src/anonymise/complianceMigrate';
import { adminConnection, dropDatabase, freshDatabase } from '../../harness/testEnv';

/** A private copy of the migrations folder, so a test can edit or add files without touching the repository. */
function copyOfMigrations(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'dwh-migrations-'));
	cpSync(defaultMigrationsDir(), dir, { recursive: true });
	return dir;
}

async function freshPool(name: string): Promise<pg.Pool> {
	return new pg.Pool({ ...((await freshDatabase(name)) as pg.PoolConfig), max: 4 });
}

/** The folder's squashing migration (the baseline) with the files it replaces, from squashed.json. */
function baseline() {
	const [squash] = readSquashManifest(defaultMigrationsDir()).squashes;
	return { ...readMigrations(defaultMigrationsDir()).find((f) => f.file === squash.file)!, replaces: squash.replaces };
}

/**
 * Gives a migrated warehouse the history of one that ran the old chain instead of the baseline (their schemas are
 * identical: docs/control-schema.md, "Baseline"): the baseline's row becomes the rows of the replaced files up to
 * `upTo` (all by default), each with its released checksum unless `tamper` names it.
 */
async function recordOldChain(db: pg.Pool, opts: { upTo?: string; tamper?: string } = {}): Promise<void> {
	const { file, replaces } = baseline();
	const rows = replaces.filter((r) => !opts.upTo || r.file <= opts.upTo);
	await db.query('DELETE FROM dwh_control.schema_migrations WHERE file = $1', [file]);
	await db.query(
		`INSERT INTO dwh_control.schema_migrations (file, checksum, duration_ms)
		 SELECT f, CASE WHEN f = $3 THEN repeat('0', 64) ELSE c END, 1 FROM unnest($1::text[], $2::text[]) AS r(f, c)`,
		[rows.map((r) => r.file), rows.map((r) => r.sha256), opts.tamper ?? ''],
	);
}

describe('migrateWarehouse', () => {
	const dirs: string[] = [];
	const pools: pg.Pool[] = [];
	afterAll(async () => {
		for (const d of dirs) rmSync(d, { recursive: true, force: true });
		await Promise.all(pools.map((p) => p.end()));
	});
	const pool = async (name: string) => {
		const p = await freshPool(name);
		pools.push(p);
		return p;
	};

	test('applies every file once in name order and records its checksum; a second run is a no-op', async () => {
		const wh = await pool('mig_twice');
		const files = readMigrations(defaultMigrationsDir());
		expect(files.length).toBeGreaterThan(0);

		const first = await migrateWarehouse(wh);
		expect(first.applied.map((a) => a.file)).toEqual(files.map((f) => f.file));
		expect(first).toMatchObject({ skipped: [], baselined: [], missingFromDir: [] });

		const { rows } = await wh.query<{ file: string; checksum: string; applied_by: string }>(
			'SELECT file, checksum, applied_by FROM dwh_control.schema_migrations ORDER BY file',
		);
		expect(rows).toEqual(files.map((f) => ({ file: f.file, checksum: f.checksum, applied_by: 'postgres' })));

		const before = await wh.query('SELECT file, applied_at FROM dwh_control.schema_migrations ORDER BY file');
		const second = await migrateWarehouse(wh);
		expect(second.applied).toEqual([]);
		expect(second.skipped).toEqual(files.map((f) => f.file));
		const after = await wh.query('SELECT file, applied_at FROM dwh_control.schema_migrations ORDER BY file');
		expect(after.rows).toEqual(before.rows);
	});

	test('a file edited after it was applied is refused, naming the file, and nothing later is applied', async () => {
		const wh = await pool('mig_edited');
		const dir = copyOfMigrations();
		dirs.push(dir);
		await migrateWarehouse(wh, { dir });
		const first = readdirSync(dir)
			.filter((f) => f.endsWith('.sql'))
			.sort()[0];
		appendFileSync(path.join(dir, first), '\n-- a harmless-looking edit\n');
		writeFileSync(path.join(dir, '0019_zz_later.sql'), 'CREATE TABLE dwh_control.zz_later (x int);');

		const err = await migrateWarehouse(wh, { dir }).catch((e: unknown) => e);
		expect(err).toBeInstanceOf(MigrationChecksumError);
		expect((err as Error).message).toContain(`Migration ${first} was edited after it was applied`);
		const later = await wh.query(`SELECT to_regclass('dwh_control.zz_later') AS t`);
		expect(later.rows[0].t).toBeNull();
	});

	test('a failing file is rolled back and not recorded; files before it stay applied', async () => {
		const wh = await pool('mig_fail');
		const dir = copyOfMigrations();
		dirs.push(dir);
		writeFileSync(path.join(dir, '0018_half.sql'), 'CREATE TABLE dwh_control.half (x int);\nSELECT 1/0;');
		await expect(migrateWarehouse(wh, { dir })).rejects.toThrow(/Migration 0018_half\.sql failed and was rolled back: division by zero/);
		const { rows } = await wh.query<{ half: string | null; n: string }>(
			`SELECT to_regclass('dwh_control.half')::text AS half, (SELECT count(*) FROM dwh_control.schema_migrations WHERE file = '0018_half.sql') AS n`,
		);
		expect(rows[0]).toEqual({ half: null, n: '0' });
	});

	test('a pending file that would end the transaction itself is refused before anything is applied', async () => {
		const wh = await pool('mig_txn');
		const dir = copyOfMigrations();
		dirs.push(dir);
		writeFileSync(path.join(dir, '0017_own_txn.sql'), 'CREATE TABLE dwh_control.t (x int);\nCOMMIT;\nCREATE TABLE dwh_control.u (x int);');
		await expect(migrateWarehouse(wh, { dir })).rejects.toThrow(/^Migration 0017_own_txn\.sql controls its own transaction \(COMMIT;\)/);
		const { rows } = await wh.query(`SELECT to_regclass('dwh_control.source_tables')::text AS t`);
		expect(rows[0].t).toBeNull();
	});

	test('dry run lists pending files and applies nothing', async () => {
		const wh = await pool('mig_dry');
		const files = readMigrations(defaultMigrationsDir()).map((f) => f.file);
		const dry = await migrateWarehouse(wh, { dryRun: true });
		expect(dry).toMatchObject({ dryRun: true, applied: [], pending: files });
		const { rows } = await wh.query(`SELECT to_regclass('dwh_control.schema_migrations') AS t`);
		expect(rows[0].t).toBeNull();
	});

	test('concurrent migrators serialise: each file is applied exactly once', async () => {
		const wh = await pool('mig_race');
		const logs: string[] = [];
		const reports = await Promise.all([1, 2, 3].map(() => migrateWarehouse(wh, { log: (m) => logs.push(m) })));
		const files = readMigrations(defaultMigrationsDir()).map((f) => f.file);
		const appliedAll = reports.flatMap((r) => r.applied.map((a) => a.file)).sort();
		expect(appliedAll).toEqual(files);
		expect(reports.filter((r) => r.applied.length > 0)).toHaveLength(1);
		expect(logs.filter((m) => m.includes('waiting'))).not.toHaveLength(0);
	});

	test('the baseline tolerates concurrent migrators of other databases on the same cluster', async () => {
		// Roles are cluster-wide; rename them so the race starts from "role missing" without touching the shared ones.
		const suffix = `_${Date.now().toString(36)}`;
		const roles = ['dwh_owner', 'dwh_readonly', 'n8n_etl', 'dwh_raw_reader', 'dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance'];
		const renamed = (r: string) => r + suffix;
		const sql = roles.reduce((text, r) => text.replace(new RegExp(`\\b${r}\\b`, 'g'), renamed(r)), baseline().sql);
		const dbs = await Promise.all([1, 2, 3, 4].map((i) => freshDatabase(`mig_roles_${i}`)));
		const clients = dbs.map((db) => new pg.Client(db as pg.ClientConfig));
		try {
			await Promise.all(
				clients.map(async (c) => {
					await c.connect();
					await c.query('BEGIN');
					await c.query('CREATE SCHEMA dwh_control; CREATE TABLE dwh_control.schema_migrations (file text PRIMARY KEY)');
					await c.query(sql);
					await c.query('COMMIT');
				}),
			);
			const { rows } = await clients[0].query<{ rolname: string; rolcanlogin: boolean; comment: string | null }>(
				`SELECT rolname, rolcanlogin, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1`,
				[roles.map(renamed)],
			);
			expect(rows.map((r) => [r.rolname, r.rolcanlogin, r.comment !== null])).toEqual(
				roles
					.map(renamed)
					.sort()
					.map((r) => [r, false, true]),
			);
			const member = await clients[0].query(`SELECT pg_has_role($1, $2, 'MEMBER') AS m, pg_has_role($3, $4, 'MEMBER') AS owner`, [
				renamed('dwh_compliance'),
				renamed('dwh_etl'),
				renamed('n8n_etl'),
				renamed('dwh_owner'),
			]);
			expect(member.rows[0]).toEqual({ m: true, owner: false });
		} finally {
			await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
			// The renamed roles own objects in these databases only: drop the databases, then the roles.
			for (const db of dbs) await dropDatabase(db.database!);
			const admin = new pg.Client(adminConnection() as pg.ClientConfig);
			await admin.connect();
			try {
				await admin.query(roles.map((r) => `DROP ROLE IF EXISTS ${renamed(r)};`).join('\n'));
			} finally {
				await admin.end();
			}
		}
	});

	test('a warehouse that applied every file the baseline replaces is baselined: recorded, not run; dry run says so first', async () => {
		const wh = await pool('mig_baselined');
		await migrateWarehouse(wh);
		await recordOldChain(wh);
		const { file, checksum, replaces } = baseline();

		const dry = await migrateWarehouse(wh, { dryRun: true });
		expect(dry).toMatchObject({ dryRun: true, applied: [], pending: [], baselined: [file], missingFromDir: [] });
		expect((await wh.query('SELECT 1 FROM dwh_control.schema_migrations WHERE file = $1', [file])).rows).toEqual([]);

		// Running it would fail at its first CREATE TABLE: everything it creates exists.
		const logs: string[] = [];
		const report = await migrateWarehouse(wh, { log: (m) => logs.push(m) });
		expect(report).toMatchObject({ applied: [], pending: [], baselined: [file], missingFromDir: [] });
		expect(logs.filter((m) => m.startsWith(`baseline ${file}`))).toHaveLength(1);
		expect(logs.filter((m) => m.startsWith('warning'))).toEqual([]);
		const { rows } = await wh.query('SELECT checksum, duration_ms FROM dwh_control.schema_migrations WHERE file = $1', [file]);
		expect(rows).toEqual([{ checksum, duration_ms: null }]);

		const again = await migrateWarehouse(wh);
		expect(again).toMatchObject({ applied: [], baselined: [], skipped: [file], missingFromDir: [] });
		const history = await wh.query<{ n: string }>('SELECT count(*) AS n FROM dwh_control.schema_migrations');
		expect(Number(history.rows[0].n)).toBe(replaces.length + 1);
	});

	test.each([
		[
			'part-way through the old chain',
			{ upTo: '0110_alert_areas.sql' },
			/this database is part-way through the migrations it replaces .*the last one it applied is 0110_alert_areas\.sql\. Upgrade it first with the previous version of the package \(its migrations run up to 0190_bronze_run_id_folded\.sql\)/,
		],
		[
			'with a replaced file recorded under another checksum',
			{ tamper: '0150_chain_freshness.sql' },
			/0150_chain_freshness\.sql was recorded with sha256 0{64}, but the released file's is [0-9a-f]{64}/,
		],
	])('a warehouse %s is refused before anything runs, dry run included', async (_what, history, message) => {
		const wh = await pool('mig_partway');
		const dir = copyOfMigrations();
		dirs.push(dir);
		await migrateWarehouse(wh, { dir });
		await recordOldChain(wh, history);
		writeFileSync(path.join(dir, '0201_zz_later.sql'), 'CREATE TABLE dwh_control.zz_later (x int);');
		const before = await wh.query('SELECT file, checksum FROM dwh_control.schema_migrations ORDER BY file');

		for (const dryRun of [true, false]) {
			const err = await migrateWarehouse(wh, { dir, dryRun }).catch((e: unknown) => e);
			expect(err).toBeInstanceOf(MigrationSquashError);
			expect((err as Error).message).toMatch(message);
		}
		expect((await wh.query(`SELECT to_regclass('dwh_control.zz_later') AS t`)).rows[0].t).toBeNull();
		expect((await wh.query('SELECT file, checksum FROM dwh_control.schema_migrations ORDER BY file')).rows).toEqual(before.rows);
	});

	test('a replaced file left in the folder is refused: the squash and the old chain cannot both be there', async () => {
		const wh = await pool('mig_both');
		const dir = copyOfMigrations();
		dirs.push(dir);
		const [first] = baseline().replaces;
		writeFileSync(path.join(dir, first.file), '-- the old file, back\n');
		await expect(migrateWarehouse(wh, { dir, dryRun: true })).rejects.toThrow(`replaces ${first.file}, still in the migrations folder`);
	});
});

describe('migrateCompliance (the same runner, its own history and lock)', () => {
	const dirs: string[] = [];
	let vault: pg.Pool;
	beforeAll(async () => {
		vault = await freshPool('mig_compliance');
	});
	afterAll(async () => {
		for (const d of dirs) rmSync(d, { recursive: true, force: true });
		await vault.end();
	});

	test('records every compliance file with its checksum in compliance.schema_migrations only; a second run applies nothing', async () => {
		const files = readMigrations(defaultComplianceDir());
		expect(files.length).toBeGreaterThan(0);
		expect(await migrateCompliance(vault)).toEqual(files.map((f) => f.file));
		const { rows } = await vault.query<{ file: string; checksum: string; applied_by: string }>(
			'SELECT file, checksum, applied_by FROM compliance.schema_migrations ORDER BY file',
		);
		expect(rows).toEqual(files.map((f) => ({ file: f.file, checksum: f.checksum, applied_by: expect.any(String) })));
		expect((await vault.query(`SELECT to_regclass('dwh_control.schema_migrations') AS t`)).rows[0].t).toBeNull();
		expect(await migrateCompliance(vault)).toEqual([]);
	});

	test('an applied compliance file edited afterwards is refused by name', async () => {
		const dir = mkdtempSync(path.join(tmpdir(), 'dwh-compliance-'));
		dirs.push(dir);
		cpSync(defaultComplianceDir(), dir, { recursive: true });
		const first = readdirSync(dir).filter((f) => f.endsWith('.sql'))[0];
		appendFileSync(path.join(dir, first), '\n-- edited\n');
		await expect(migrateCompliance(vault, dir)).rejects.toThrow(MigrationChecksumError);
		await expect(migrateCompliance(vault, dir)).rejects.toThrow(`Migration ${first} was edited after it was applied`);
	});
});
