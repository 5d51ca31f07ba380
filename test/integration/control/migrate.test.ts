import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { defaultMigrationsDir, MigrationChecksumError, migrateWarehouse, readMigrations } from '../../../src/control/migrate';
import { defaultComplianceDir, migrateCompliance } from '../../../src/anonymise/complianceMigrate';
import { freshDatabase } from '../../harness/testEnv';

/** A private copy of the migrations folder, so a test can edit or add files without touching the repository. */
function copyOfMigrations(): string {
	const dir = mkdtempSync(path.join(tmpdir(), 'dwh-migrations-'));
	cpSync(defaultMigrationsDir(), dir, { recursive: true });
	return dir;
}

async function freshPool(name: string): Promise<pg.Pool> {
	return new pg.Pool({ ...((await freshDatabase(name)) as pg.PoolConfig), max: 4 });
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
		expect(first.skipped).toEqual([]);

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

	test('the role migration tolerates concurrent migrators of other databases on the same cluster', async () => {
		// Roles are cluster-wide; rename them so the race starts from "role missing" without touching the shared ones.
		const suffix = `_${Date.now().toString(36)}`;
		const roles = ['dwh_owner', 'dwh_readonly', 'n8n_etl'];
		const roleSql = readMigrations(defaultMigrationsDir()).find((f) => f.file.endsWith('_roles.sql'))!.sql;
		const sql = roles.reduce((s, r) => s.split(r).join(r + suffix), roleSql);
		const dbs = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => pool(`mig_roles_${i}`)));
		try {
			await Promise.all(
				dbs.map(async (db) => {
					const c = await db.connect();
					try {
						await c.query('BEGIN');
						await c.query(sql);
						await c.query('COMMIT');
					} finally {
						c.release();
					}
				}),
			);
			const { rows } = await dbs[0].query<{ rolname: string; rolcanlogin: boolean; comment: string | null }>(
				`SELECT rolname, rolcanlogin, shobj_description(oid, 'pg_authid') AS comment FROM pg_roles WHERE rolname = ANY($1) ORDER BY 1`,
				[roles.map((r) => r + suffix)],
			);
			expect(rows.map((r) => [r.rolname, r.rolcanlogin, r.comment !== null])).toEqual(roles.map((r) => [r + suffix, false, true]));
			const member = await dbs[0].query(`SELECT pg_has_role($1, $2, 'MEMBER') AS m`, ['n8n_etl' + suffix, 'dwh_owner' + suffix]);
			expect(member.rows[0].m).toBe(true);
		} finally {
			await dbs[0].query(
				roles
					.map((r) => `DROP ROLE IF EXISTS ${r}${suffix};`)
					.reverse()
					.join('\n'),
			);
		}
	});

	test('0070: watermarks still at the old 2000-01-01 seed become -infinity, moved ones stay', async () => {
		const wh = await pool('mig_seed');
		const dir = copyOfMigrations();
		dirs.push(dir);
		const later = readdirSync(dir).filter((f) => f >= '0070');
		const held = mkdtempSync(path.join(tmpdir(), 'dwh-migrations-later-'));
		dirs.push(held);
		for (const f of later) cpSync(path.join(dir, f), path.join(held, f));
		for (const f of later) rmSync(path.join(dir, f));
		await migrateWarehouse(wh, { dir });
		await wh.query(`
			INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
			VALUES ('s_db__seeded', 's_db', 'seeded', 'incremental', 'append', 'created_at', '{id}', '5 minutes'),
			       ('s_db__moved', 's_db', 'moved', 'incremental', 'append', 'created_at', '{id}', '5 minutes');
			INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ('s_db__seeded');
			INSERT INTO dwh_control.extract_watermarks (table_name, last_extracted_at) VALUES ('s_db__moved', '2026-11-20 10:00:00.123456+00');`);
		for (const f of later) cpSync(path.join(held, f), path.join(dir, f));
		await migrateWarehouse(wh, { dir });
		const { rows } = await wh.query(`SELECT table_name, (last_extracted_at AT TIME ZONE 'UTC')::text AS w FROM dwh_control.extract_watermarks ORDER BY 1`);
		expect(rows).toEqual([
			{ table_name: 's_db__moved', w: '2026-11-20 10:00:00.123456' },
			{ table_name: 's_db__seeded', w: '-infinity' },
		]);
	});

	test('a warehouse that already had 0001 applied by hand migrates cleanly', async () => {
		const wh = await pool('mig_pre0001');
		const [first] = readMigrations(defaultMigrationsDir());
		await wh.query(first.sql);
		const r = await migrateWarehouse(wh);
		expect(r.applied[0].file).toBe(first.file);
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
