import pg from 'pg';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { stageLogin, type Login } from '../../harness/loginRole';
import { adminConnection } from '../../harness/testEnv';
import { createWorld, type World } from '../pipeline/world';
import { incremental } from '../../harness/registerTable';

/**
 * The role model (migrations 0065/0090, docs/security.md): every "cannot" is proven logged in as the stage's
 * documented login (a member of the stage role whose sessions run as it), never as a superuser.
 */
let w: World;
let table: string;
let runId: number;
let etl: Login;
let transform: Login;
let compliance: Login;

/** The error a statement raises as `pool`'s login, in its own transaction (so a refusal leaves nothing behind). */
async function refusal(pool: pg.Pool, sql: string): Promise<string> {
	const c = await pool.connect();
	try {
		await c.query('BEGIN');
		await c.query(sql);
		return 'accepted';
	} catch (err) {
		return (err as Error).message;
	} finally {
		await c.query('ROLLBACK').catch(() => undefined);
		c.release();
	}
}

beforeAll(async () => {
	w = await createWorld('stage_roles');
	await w.src.query(`CREATE TABLE public.members (id bigint PRIMARY KEY, email text NOT NULL, created_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.members SELECT g, 'person' || g || '@example.co.za', now() - interval '1 hour' FROM generate_series(1, 5) g`);
	table = await w.register(incremental('upsert', 'members', 'created_at', '5 minutes', { safety_lag: '0 seconds' }));
	// The happy path, as dwh_etl: the extract creates bronze through create_bronze_table, the load merges and moves the watermark.
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	runId = ex.runId!;
	expect(await loadBronze(w.ctx, { table, runId, csvPath: ex.csvPath! })).toMatchObject({ status: 'loaded', rowsInserted: 5 });
	etl = await stageLogin(w.warehouse.database, 'dwh_etl');
	transform = await stageLogin(w.warehouse.database, 'dwh_transform');
	compliance = await stageLogin(w.warehouse.database, 'dwh_compliance');
});
afterAll(async () => {
	for (const l of [etl, transform, compliance]) await l?.drop();
	await w?.close();
});

describe('dwh_etl (Watermark Extract, Blob Load Bronze, Enrich)', () => {
	test('runs as dwh_etl and owns nothing that guards it: bronze and dwh_control belong to dwh_owner', async () => {
		expect((await etl.pool.query('SELECT current_user AS r')).rows[0].r).toBe('dwh_etl');
		const { rows } = await w.wh.query(
			`SELECT DISTINCT pg_get_userbyid(c.relowner) AS owner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  WHERE n.nspname IN ('dwh_control', 'raw') AND c.relkind IN ('r', 'v', 'p')`,
		);
		expect(rows).toEqual([{ owner: 'dwh_owner' }]);
		expect((await w.wh.query(`SELECT pg_has_role('dwh_etl', 'dwh_owner', 'MEMBER') AS m`)).rows[0].m).toBe(false);
	});

	test('cannot disable the run-status trigger', async () => {
		expect(await refusal(etl.pool, `ALTER TABLE dwh_control.extract_runs DISABLE TRIGGER extract_runs_transition`)).toBe('must be owner of table extract_runs');
		expect(await refusal(etl.pool, `ALTER TABLE dwh_control.extract_watermarks DISABLE TRIGGER USER`)).toBe('must be owner of table extract_watermarks');
	});

	test('cannot rewrite a migration checksum', async () => {
		expect(await refusal(etl.pool, `UPDATE dwh_control.schema_migrations SET checksum = 'x'`)).toBe('permission denied for table schema_migrations');
	});

	test('cannot re-grant raw to dwh_readonly', async () => {
		expect(await refusal(etl.pool, `GRANT SELECT ON raw.${table} TO dwh_readonly`)).toBe('accepted'); // a WARNING: "no privileges were granted"
		expect((await w.wh.query(`SELECT has_table_privilege('dwh_readonly', $1, 'SELECT') AS r`, [`raw.${table}`])).rows[0].r).toBe(false);
		expect(await refusal(etl.pool, `GRANT USAGE ON SCHEMA raw TO dwh_readonly`)).toBe('accepted');
		expect((await w.wh.query(`SELECT has_schema_privilege('dwh_readonly', 'raw', 'USAGE') AS r`)).rows[0].r).toBe(false);
		expect(await refusal(etl.pool, `ALTER DEFAULT PRIVILEGES FOR ROLE dwh_owner IN SCHEMA raw GRANT SELECT ON TABLES TO dwh_readonly`)).toBe(
			'permission denied to change default privileges',
		);
	});

	test('cannot move a watermark backwards with a plain UPDATE; reset_watermark can', async () => {
		expect(await refusal(etl.pool, `UPDATE dwh_control.extract_watermarks SET last_extracted_at = '2001-01-01' WHERE table_name = '${table}'`)).toMatch(
			new RegExp(`^watermark of ${table} may only move forward \\(.* -> 2001-01-01 00:00:00\\+00\\)$`),
		);
		expect(
			await refusal(
				etl.pool,
				`INSERT INTO dwh_control.extract_watermarks (table_name, last_extracted_at) VALUES ('${table}', '2001-01-01') ON CONFLICT (table_name) DO UPDATE SET last_extracted_at = EXCLUDED.last_extracted_at`,
			),
		).toMatch(/may only move forward/);
		expect(await refusal(etl.pool, `DELETE FROM dwh_control.extract_watermarks`)).toBe('permission denied for table extract_watermarks');
		await etl.pool.query(`SELECT dwh_control.reset_watermark($1, '2001-01-01')`, [table]);
		expect((await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w).toBe(
			'2001-01-01 00:00:00+00',
		);
	});

	test('cannot make an illegal run-status change, start a run as loaded, or edit a finished run', async () => {
		expect(await refusal(etl.pool, `UPDATE dwh_control.extract_runs SET status = 'extracting' WHERE run_id = ${runId}`)).toMatch(
			/is loaded: a finished run is an audit record/,
		);
		const skipAhead = `DO $$ DECLARE id bigint; BEGIN
			INSERT INTO dwh_control.extract_runs (table_name, status, mode) VALUES ('${table}', 'extracting', 'incremental') RETURNING run_id INTO id;
			UPDATE dwh_control.extract_runs SET status = 'loaded' WHERE run_id = id; END $$`;
		expect(await refusal(etl.pool, skipAhead)).toMatch(/illegal status change extracting -> loaded/);
		expect(await refusal(etl.pool, `UPDATE dwh_control.extract_runs SET rows_inserted = 0 WHERE run_id = ${runId}`)).toMatch(
			/a finished run is an audit record/,
		);
		expect(await refusal(etl.pool, `INSERT INTO dwh_control.extract_runs (table_name, status, mode) VALUES ('${table}', 'loaded', 'incremental')`)).toMatch(
			/a new run starts as extracting or skipped, not loaded/,
		);
		expect(await refusal(etl.pool, `DELETE FROM dwh_control.extract_runs`)).toBe('permission denied for table extract_runs');
	});

	test('no DDL on dwh_control or raw, except bronze through the checked functions', async () => {
		expect(await refusal(etl.pool, `CREATE TABLE dwh_control.x (a int)`)).toBe('permission denied for schema dwh_control');
		expect(
			await refusal(etl.pool, `CREATE OR REPLACE FUNCTION dwh_control.check_run_transition() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'`),
		).toBe('permission denied for schema dwh_control');
		expect(await refusal(etl.pool, `CREATE TABLE raw.sneaky (a int)`)).toBe('permission denied for schema raw');
		expect(await refusal(etl.pool, `DROP TABLE raw.${table}`)).toBe(`must be owner of table ${table}`);
		expect(await refusal(etl.pool, `CREATE TABLE marts.fct_fake (a int)`)).toBe('permission denied for schema marts');
		expect(await refusal(etl.pool, `SELECT dwh_control.create_bronze_table('x_db__unregistered', '{id}', '{bigint}')`)).toBe(
			'create_bronze_table: x_db__unregistered is not in dwh_control.source_tables',
		);
		await w.wh.query(
			`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence) VALUES ('x_db__typed', 'x_db', 'typed', 'incremental', 'append', 'created_at', '{id}', '5 minutes')`,
		);
		expect(
			await refusal(etl.pool, `SELECT dwh_control.create_bronze_table('x_db__typed', '{id,note}', ARRAY['bigint', 'text); DROP TABLE raw.${table}; --'])`),
		).toBe(`raw.x_db__typed: column note has type 'text); DROP TABLE raw.${table}; --', which is not a plain built-in type name`);
		expect(await refusal(etl.pool, `SELECT dwh_control.add_bronze_column('${table}', '_dwh_loaded_at', 'text')`)).toBe(
			`raw.${table}: column name _dwh_loaded_at is empty, longer than 63 characters or a bookkeeping name (_dwh_*)`,
		);
		expect(await refusal(etl.pool, `SELECT dwh_control.create_bronze_table('x_db__typed', '{id,"Note"}', '{bigint,text}')`)).toBe('accepted');
	});
});

describe('the other stages', () => {
	test('dwh_transform (dbt) reads bronze but cannot write it, the control tables or intermediate', async () => {
		expect((await transform.pool.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n).toBe(5);
		expect(await refusal(transform.pool, `DELETE FROM raw.${table}`)).toBe(`permission denied for table ${table}`);
		expect(await refusal(transform.pool, `UPDATE dwh_control.extract_watermarks SET last_run_id = 0`)).toBe('permission denied for table extract_watermarks');
		expect(await refusal(transform.pool, `CREATE TABLE intermediate.int_fake (a int)`)).toBe('permission denied for schema intermediate');
		expect(await refusal(transform.pool, `CREATE TABLE marts.mine (a int)`)).toBe('accepted');
	});

	test('dwh_compliance (Anonymise; a member of dwh_etl) is bound by the same guards', async () => {
		expect(await refusal(compliance.pool, `UPDATE dwh_control.extract_watermarks SET last_extracted_at = '2000-06-01'`)).toMatch(/may only move forward/);
		expect(await refusal(compliance.pool, `UPDATE dwh_control.schema_migrations SET checksum = 'x'`)).toBe('permission denied for table schema_migrations');
		expect(await refusal(compliance.pool, `CREATE TABLE dwh_control.x (a int)`)).toBe('permission denied for schema dwh_control');
		expect(await refusal(compliance.pool, `DROP TABLE raw.${table}`)).toBe(`must be owner of table ${table}`);
		expect(await refusal(compliance.pool, `ALTER TABLE dwh_control.anonymise_runs DISABLE TRIGGER anonymise_runs_transition`)).toBe(
			'must be owner of table anonymise_runs',
		);
	});

	test("dwh_compliance reads every run log the residue verifier searches (0180), and writes none of the other stages' logs", async () => {
		// What it may not read, the verifier reports as "NOT searched": only tables dwh_readonly cannot read either remain.
		const unreadable = `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			WHERE n.nspname = 'dwh_control' AND c.relkind IN ('r', 'p', 'm') AND NOT has_table_privilege($1, c.oid, 'SELECT') ORDER BY 1`;
		const forCompliance = (await compliance.pool.query(unreadable, ['dwh_compliance'])).rows.map((r) => r.relname);
		const forReadonly = (await w.wh.query(unreadable, ['dwh_readonly'])).rows.map((r) => r.relname);
		expect(forCompliance.filter((t) => !forReadonly.includes(t))).toEqual([]);
		expect(forCompliance).not.toContain('dbt_runs');
		expect(forCompliance).not.toContain('push_runs');
		for (const t of ['dbt_runs', 'push_runs', 'reconcile_runs', 'dbt_node_results', 'dbt_webhook_requests']) {
			expect((await compliance.pool.query(`SELECT count(*)::int AS n FROM dwh_control.${t}`)).rows[0].n).toBeGreaterThanOrEqual(0);
		}
		expect(await refusal(compliance.pool, `DELETE FROM dwh_control.dbt_runs`)).toBe('permission denied for table dbt_runs');
		expect(await refusal(compliance.pool, `UPDATE dwh_control.push_runs SET status = status`)).toBe('permission denied for table push_runs');
		expect(await refusal(compliance.pool, `INSERT INTO dwh_control.dbt_node_results DEFAULT VALUES`)).toBe('permission denied for table dbt_node_results');
	});

	test('dwh_readonly (dashboards) reads the run log and nothing of raw', async () => {
		const ro = await stageLogin(w.warehouse.database, 'dwh_readonly');
		try {
			expect((await ro.pool.query(`SELECT count(*)::int AS n FROM dwh_control.extract_runs`)).rows[0].n).toBeGreaterThan(0);
			expect(await refusal(ro.pool, `SELECT * FROM raw.${table}`)).toBe('permission denied for schema raw');
		} finally {
			await ro.drop();
		}
	});
});

test('assert_roles() names a login that is a member of dwh_owner, with the fix', async () => {
	// Uncommitted, so no other warehouse on the cluster ever sees this login.
	const c = new pg.Client(adminConnection(w.warehouse.database) as pg.ClientConfig);
	await c.connect();
	try {
		await c.query('BEGIN');
		await c.query(`CREATE ROLE careless_dba_login LOGIN IN ROLE dwh_owner`);
		const { rows } = await c.query<{ problem: string }>(`SELECT problem FROM dwh_control.missing_roles()`);
		expect(rows.map((r) => r.problem)).toEqual([
			'role careless_dba_login is a member of dwh_owner, which owns what guards the pipeline (run-status and watermark triggers, schema_migrations, raw grants): REVOKE dwh_owner FROM careless_dba_login, and give the login its stage role instead (docs/security.md)',
		]);
		await expect(c.query('SELECT dwh_control.assert_roles()')).rejects.toThrow(/careless_dba_login is a member of dwh_owner/);
	} finally {
		await c.query('ROLLBACK').catch(() => undefined);
		await c.end();
	}
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM dwh_control.missing_roles()`)).rows[0].n).toBe(0);
});
