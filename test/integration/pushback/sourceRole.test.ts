import pg from 'pg';
import { createPool } from '../../../src/transport/postgres';
import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { createPushWorld, uniqueName, type PushWorld } from './world';

/**
 * Push Back reads its source as dwh_pushback, which PostgreSQL lets read marts.* and nothing else, in a read-only
 * transaction: a source query cannot reach raw PII however it is written, and cannot write anything.
 */
describe('Push Back source role', () => {
	let w: PushWorld;
	let login: pg.Pool;
	const appRole = uniqueName('role_app');
	const query = (sql: string, table: string): PushTargetInput => ({
		source: { kind: 'query', sql },
		target: { schema: 'roletest', table },
		key: ['user_hash'],
		appRole,
	});

	beforeAll(async () => {
		w = await createPushWorld('push_role');
		login = createPool(w.warehouse);
		expect((await login.query('SELECT current_user AS r')).rows[0].r).toBe('dwh_pushback');
		await w.wh.query(`CREATE TABLE raw.auth_db__users (id bigint PRIMARY KEY, email text)`);
		await w.wh.query(`INSERT INTO raw.auth_db__users SELECT g, 'person' || g || '@example.co.za' FROM generate_series(1, 20) g`);
		await w.wh.query(`CREATE TABLE marts.agg_ok (user_hash text PRIMARY KEY, checkins_30d int)`);
		await w.wh.query(`INSERT INTO marts.agg_ok SELECT lpad(to_hex(g), 64, 'e'), g FROM generate_series(1, 20) g`);
	});
	afterAll(async () => {
		await login?.end();
		await w?.close();
	});

	test.each([
		['reverse(email) from raw', `SELECT md5(id::text) AS user_hash, reverse(email) AS hint FROM raw.auth_db__users`, 'permission denied for schema raw'],
		[
			'base64 of email from raw',
			`SELECT md5(id::text) AS user_hash, encode(convert_to(email, 'UTF8'), 'base64') AS hint FROM raw.auth_db__users`,
			'permission denied for schema raw',
		],
		['the run log', `SELECT md5(run_id::text) AS user_hash, error_message AS hint FROM dwh_control.extract_runs`, 'permission denied for table extract_runs'],
	])('%s: refused by PostgreSQL with a permission error, nothing pushed', async (_name, sql, denied) => {
		const table = uniqueName('t');
		await expect(w.push(query(sql, table))).rejects.toThrow(denied);
		expect((await w.an.query(`SELECT to_regclass($1)::text AS t`, [`roletest.${table}`])).rows[0].t).toBeNull();
		const run = await w.wh.query(`SELECT status, error_message FROM dwh_control.push_runs WHERE target_name = $1`, [`roletest.${table}`]);
		expect(run.rows).toEqual([{ status: 'failed', error_message: expect.stringContaining(denied) }]);
		expect(run.rows[0].error_message).not.toContain('@example.co.za');
	});

	test('the source query runs read-only: a write inside it fails', async () => {
		const { rows } = await w.wh.query(
			`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status) VALUES ('victim', 'v.v', 'q', 'mirror', 'running') RETURNING push_run_id`,
		);
		const sql = `SELECT user_hash, checkins_30d FROM marts.agg_ok WHERE dwh_control.push_run_fail(${rows[0].push_run_id}, 'tampered') IS NULL`;
		await expect(w.push(query(sql, 'readonly_write'))).rejects.toThrow('cannot execute UPDATE in a read-only transaction');
		expect((await w.wh.query(`SELECT status FROM dwh_control.push_runs WHERE push_run_id = $1`, [rows[0].push_run_id])).rows[0].status).toBe('running');
	});

	test('a marts source is pushed', async () => {
		expect(await w.push(query(`SELECT user_hash, checkins_30d FROM marts.agg_ok`, 'from_marts'))).toMatchObject({ status: 'pushed', inserted: 20 });
	});

	test('logged in as dwh_pushback: no table of dwh_control or raw can be read or written directly', async () => {
		await expect(login.query(`SELECT * FROM dwh_control.push_runs`)).rejects.toThrow('permission denied for table push_runs');
		await expect(login.query(`UPDATE dwh_control.push_runs SET status = 'pushed'`)).rejects.toThrow('permission denied for table push_runs');
		await expect(login.query(`SELECT * FROM raw.auth_db__users`)).rejects.toThrow('permission denied for schema raw');
		await expect(login.query(`SELECT * FROM dwh_control.schema_migrations`)).rejects.toThrow('permission denied for table schema_migrations');
		await expect(login.query(`CREATE TABLE marts.x (a int)`)).rejects.toThrow('permission denied for schema marts');
		expect((await login.query(`SELECT count(*)::int AS n FROM marts.agg_ok`)).rows[0].n).toBe(20);
	});
});
