import pg from 'pg';
import { defaultMigrationsDir, migrateWarehouse, readMigrations } from '../../../src/control/migrate';
import { freshDatabase } from '../../harness/testEnv';
import { migratedWarehouse } from '../../harness/migratedWarehouse';

let wh: pg.Pool;

beforeAll(async () => {
	({ pool: wh } = await migratedWarehouse('ctl_assert', 2));
});
afterAll(async () => {
	await wh.end();
});

async function register(table: string, keys: string[]): Promise<void> {
	await wh.query(
		`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
		 VALUES ($1, split_part($1, '__', 1), split_part($1, '__', 2), 'incremental', 'append', 'created_at', $2, '5 minutes')`,
		[table, keys],
	);
}

test('roles exist after migrating, and assert_all passes on an empty raw schema', async () => {
	const { rows } = await wh.query(
		`SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('dwh_owner', 'dwh_readonly', 'dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance') ORDER BY 1`,
	);
	expect(rows).toEqual(
		['dwh_compliance', 'dwh_etl', 'dwh_owner', 'dwh_pushback', 'dwh_readonly', 'dwh_transform'].map((rolname) => ({ rolname, rolcanlogin: false })),
	);
	// No stage role is a member of the owner role (the baseline takes back n8n_etl's, granted by older packages, too).
	const members = await wh.query(
		`SELECT r FROM unnest(ARRAY['dwh_etl', 'dwh_transform', 'dwh_pushback', 'dwh_compliance', 'dwh_readonly']) r WHERE pg_has_role(r, 'dwh_owner', 'MEMBER')`,
	);
	expect(members.rows).toEqual([]);
	await expect(wh.query('SELECT dwh_control.assert_roles()')).resolves.toBeDefined();
	const all = await wh.query('SELECT dwh_control.assert_all() AS checked');
	expect(all.rows[0].checked).toBe(0);
});

test('assert_bronze_keys raises with the list of bronze tables whose key does not match the registry', async () => {
	await wh.query(`
		CREATE TABLE raw.a_db__good (id bigint PRIMARY KEY, created_at timestamptz);
		CREATE TABLE raw.a_db__composite (user_id bigint, conversation_id bigint, UNIQUE (conversation_id, user_id));
		CREATE TABLE raw.a_db__no_key (id bigint, created_at timestamptz);
		CREATE TABLE raw.a_db__wrong_key (id bigint, ref text UNIQUE);
		CREATE TABLE raw.a_db__partial (id bigint, deleted boolean);
		CREATE UNIQUE INDEX ON raw.a_db__partial (id) WHERE NOT deleted;
		CREATE TABLE raw.a_db__deferrable (id bigint, CONSTRAINT d UNIQUE (id) DEFERRABLE INITIALLY DEFERRED);
		CREATE TABLE raw.unregistered (x int);`);
	await register('a_db__good', ['id']);
	await register('a_db__composite', ['user_id', 'conversation_id']);
	await register('a_db__no_key', ['id']);
	await register('a_db__wrong_key', ['id']);
	await register('a_db__partial', ['id']);
	await register('a_db__deferrable', ['id']);
	await register('a_db__not_created_yet', ['id']);

	const { rows } = await wh.query('SELECT table_name, key_columns, unique_keys FROM dwh_control.missing_bronze_keys()');
	expect(rows).toEqual([
		{ table_name: 'a_db__deferrable', key_columns: ['id'], unique_keys: ['(id)'] },
		{ table_name: 'a_db__no_key', key_columns: ['id'], unique_keys: [] },
		{ table_name: 'a_db__partial', key_columns: ['id'], unique_keys: ['(id)'] },
		{ table_name: 'a_db__wrong_key', key_columns: ['id'], unique_keys: ['(ref)'] },
	]);

	const err = await wh.query('SELECT dwh_control.assert_bronze_keys()').catch((e: unknown) => e as pg.DatabaseError);
	expect(err).toBeInstanceOf(Error);
	expect((err as pg.DatabaseError).message).toBe(
		[
			'bronze tables without a PRIMARY KEY/UNIQUE matching their registry key_columns:',
			'  - raw.a_db__deferrable: no PRIMARY KEY/UNIQUE on (id); unique keys present: (id) [unusable: partial, expression, deferrable or invalid]',
			'  - raw.a_db__no_key: no PRIMARY KEY/UNIQUE on (id); unique keys present: none',
			'  - raw.a_db__partial: no PRIMARY KEY/UNIQUE on (id); unique keys present: (id) [unusable: partial, expression, deferrable or invalid]',
			'  - raw.a_db__wrong_key: no PRIMARY KEY/UNIQUE on (id); unique keys present: (ref)',
		].join('\n'),
	);
	expect((err as pg.DatabaseError).hint).toMatch(/ON CONFLICT needs such a key/);
	await expect(wh.query('SELECT dwh_control.assert_all()')).rejects.toThrow(/warehouse assertions failed:\n {2}- raw\.a_db__deferrable/);
});

test('fixing the keys makes the assertion pass and it reports how many bronze tables it checked', async () => {
	await wh.query(`
		ALTER TABLE raw.a_db__no_key ADD PRIMARY KEY (id);
		ALTER TABLE raw.a_db__wrong_key ADD PRIMARY KEY (id);
		ALTER TABLE raw.a_db__partial ADD CONSTRAINT p UNIQUE (id);
		ALTER TABLE raw.a_db__deferrable ADD PRIMARY KEY (id);`);
	const { rows } = await wh.query('SELECT dwh_control.assert_bronze_keys() AS checked');
	expect(rows[0].checked).toBe(6);
});

// [what, the fault planted, the error naming it (and the fix), how the fault is undone]
test.each([
	[
		'lists a read-only role that can write',
		'GRANT INSERT ON dwh_control.extract_runs TO dwh_readonly',
		'warehouse roles are not set up:\n  - dwh_readonly can write dwh_control.extract_runs',
		'REVOKE INSERT ON dwh_control.extract_runs FROM dwh_readonly',
	],
	[
		'names a bronze table the read-only role can read (raw holds PII) and the fix',
		'CREATE TABLE raw.a_db__leaky (id bigint PRIMARY KEY); GRANT SELECT ON raw.a_db__leaky TO dwh_readonly',
		'dwh_readonly can read raw.a_db__leaky, which holds PII (design §8.1): REVOKE SELECT ON raw.a_db__leaky FROM dwh_readonly',
		'DROP TABLE raw.a_db__leaky',
	],
])('assert_roles %s', async (_what, plant, error, undo) => {
	await wh.query(plant);
	try {
		await expect(wh.query('SELECT dwh_control.assert_roles()')).rejects.toThrow(error);
	} finally {
		await wh.query(undo);
	}
	await expect(wh.query('SELECT dwh_control.assert_roles()')).resolves.toBeDefined();
});

test('the baseline ends with the role assertions: a warehouse that fails them is refused and records nothing', async () => {
	const other = new pg.Pool({ ...((await freshDatabase('ctl_assert_mig')) as pg.PoolConfig), max: 1 });
	try {
		// A DBA made raw before the first migration, with a table the dashboards' role can read (raw holds PII).
		await other.query(`CREATE SCHEMA raw; CREATE TABLE raw.b_db__leaky (id bigint PRIMARY KEY); GRANT SELECT ON raw.b_db__leaky TO dwh_readonly`);
		const [file] = readMigrations(defaultMigrationsDir()).map((f) => f.file);
		await expect(migrateWarehouse(other)).rejects.toThrow(
			new RegExp(`Migration ${file.replace(/\./g, '\\.')} failed and was rolled back.*\n {2}- dwh_readonly can read raw\\.b_db__leaky`, 's'),
		);
		const { rows } = await other.query(`SELECT file FROM dwh_control.schema_migrations`);
		expect(rows).toEqual([]);
		await other.query(`REVOKE SELECT ON raw.b_db__leaky FROM dwh_readonly`);
		const report = await migrateWarehouse(other);
		expect(report.applied.map((a) => a.file)).toEqual([file]);
	} finally {
		await other.end();
	}
});
