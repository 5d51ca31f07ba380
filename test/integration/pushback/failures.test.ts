import pg from 'pg';
import { PushFailedError } from '../../../src/pushback/pushTarget';
import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { adminConnection } from '../../harness/testEnv';
import { createPushWorld, uniqueName, type PushWorld } from './world';

/** A push that fails part-way leaves analytics_db exactly as it was: everything visible happens in one transaction. */
describe('failure mid-push', () => {
	let w: PushWorld;
	const target = (table: string, over: Partial<PushTargetInput> = {}): PushTargetInput => ({
		source: { kind: 'relation', schema: 'marts', table: 'agg_user' },
		target: { schema: 'failtest', table },
		key: ['user_hash'],
		appRole: uniqueName('fail_app'),
		...over,
	});
	/** Every row with its xmin: equal snapshots mean not a single tuple was rewritten. */
	const snapshot = async (table: string) => (await w.an.query(`SELECT xmin::text AS xmin, * FROM failtest.${table} ORDER BY user_hash`)).rows;
	const admin = async (sql: string) => {
		const c = new pg.Client(adminConnection(w.analytics.database) as pg.ClientConfig);
		await c.connect();
		try {
			return await c.query(sql);
		} finally {
			await c.end();
		}
	};

	beforeEach(async () => {
		await w.wh.query('DROP TABLE IF EXISTS marts.agg_user');
		await w.wh.query(`CREATE TABLE marts.agg_user (user_hash text PRIMARY KEY, checkins_30d int)`);
		await w.wh.query(`INSERT INTO marts.agg_user SELECT 'h' || g, g FROM generate_series(1, 10) g`);
	});
	beforeAll(async () => {
		w = await createPushWorld('push_fail');
	});
	afterAll(async () => w.close());

	test('a constraint violation after deletes and updates already ran rolls all of them back', async () => {
		const t = target('constrained');
		await w.push(t);
		await w.an.query('ALTER TABLE failtest.constrained ADD CONSTRAINT sane_checkins CHECK (checkins_30d < 1000)');
		const before = await snapshot('constrained');

		await w.wh.query(`DELETE FROM marts.agg_user WHERE user_hash IN ('h1', 'h2')`); // mirror delete runs first
		await w.wh.query(`UPDATE marts.agg_user SET checkins_30d = checkins_30d + 100`); // then updates
		await w.wh.query(`INSERT INTO marts.agg_user VALUES ('h99', 5000)`); // the insert violates the check
		const err = await w.push(t).catch((e: Error) => e);
		expect(err).toBeInstanceOf(PushFailedError);
		expect((err as Error).message).toMatch(/^Push of failtest\.constrained failed \(run \d+\); analytics_db was left unchanged: .*sane_checkins/);

		expect(await snapshot('constrained')).toEqual(before);
		const run = await w.wh.query(
			`SELECT status, error_message, rows_inserted FROM dwh_control.push_runs WHERE target_name = 'failtest.constrained' ORDER BY push_run_id DESC LIMIT 1`,
		);
		expect(run.rows[0]).toMatchObject({ status: 'failed', rows_inserted: null, error_message: expect.stringContaining('sane_checkins') });

		await w.wh.query(`UPDATE marts.agg_user SET checkins_30d = 500 WHERE user_hash = 'h99'`);
		expect(await w.push(t)).toMatchObject({ status: 'pushed', deleted: 2, updated: 8, inserted: 1 });
	});

	test('a push whose analytics_db connection is killed mid-apply leaves the target untouched and frees the lock', async () => {
		const t = target('killed');
		await w.push(t);
		// A DBA-side trigger that makes the insert slow enough to kill the session while it runs.
		await admin(`CREATE FUNCTION failtest.slow_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$;
			CREATE TRIGGER slow BEFORE INSERT ON failtest.killed FOR EACH ROW EXECUTE FUNCTION failtest.slow_insert()`);
		const before = await snapshot('killed');
		await w.wh.query(`DELETE FROM marts.agg_user WHERE user_hash = 'h3'`);
		await w.wh.query(`UPDATE marts.agg_user SET checkins_30d = 0 WHERE user_hash = 'h4'`);
		await w.wh.query(`INSERT INTO marts.agg_user VALUES ('h77', 7)`);

		const pushing = w.push(t).catch((e: Error) => e);
		let pid: number | null = null;
		for (let i = 0; i < 200 && pid === null; i++) {
			const { rows } = await admin(
				`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep' AND application_name = 'dwh-test:pushback'`,
			);
			pid = rows[0]?.pid ?? null;
			if (pid === null) await new Promise((r) => setTimeout(r, 50));
		}
		expect(pid).not.toBeNull();
		await admin(`SELECT pg_terminate_backend(${Number(pid)})`);
		const err = await pushing;
		expect(err).toBeInstanceOf(PushFailedError);
		expect((err as Error).message).toMatch(/terminat/i);

		expect(await snapshot('killed')).toEqual(before);
		const run = await w.wh.query(`SELECT status FROM dwh_control.push_runs WHERE target_name = 'failtest.killed' ORDER BY push_run_id DESC LIMIT 1`);
		expect(run.rows[0].status).toBe('failed');

		await admin('DROP TRIGGER slow ON failtest.killed');
		expect(await w.push(t, { lockWaitMs: 5000 })).toMatchObject({ status: 'pushed', deleted: 1, updated: 1, inserted: 1 });
	});

	test('malicious target, schema, key and role names are refused before anything runs, naming the field', async () => {
		const bad: [Partial<PushTargetInput>, string][] = [
			[{ target: { schema: 'tagme"; DROP SCHEMA marts CASCADE; --', table: 'x' } }, 'target.schema: target.schema must be a lower-case SQL identifier'],
			[{ target: { schema: 'failtest', table: 'x" (a int); DROP TABLE y; --' } }, 'target.table: target.table must be a lower-case SQL identifier'],
			[{ target: { schema: 'public', table: 'x' } }, 'target.schema: target.schema must be an app schema'],
			[{ target: { schema: 'pg_catalog', table: 'x' } }, 'target.schema: target.schema must be an app schema'],
			[{ key: ['user_hash) ; DELETE FROM x; --'] }, 'key.0: key[] must be a lower-case SQL identifier'],
			[{ appRole: 'public' }, "appRole: appRole must be the app's own role"],
			[{ appRole: 'x; ALTER ROLE postgres NOLOGIN' }, 'appRole: appRole must be a lower-case SQL identifier'],
			[{ source: { kind: 'relation', schema: 'marts', table: 'a"b' } }, 'source.table: source.table must be a lower-case SQL identifier'],
		];
		for (const [over, message] of bad) {
			await expect(w.push(target('never', over))).rejects.toThrow(`Invalid push target — ${message}`);
		}
		const runs = await w.wh.query(`SELECT count(*)::int AS n FROM dwh_control.push_runs WHERE target_name LIKE '%never%' OR target_relation LIKE '%never%'`);
		expect(runs.rows[0].n).toBe(0);
		expect((await w.wh.query(`SELECT to_regnamespace('marts')::text AS s`)).rows[0].s).toBe('marts');
	});
});
