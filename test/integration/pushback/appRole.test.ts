import pg from 'pg';
import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { adminConnection } from '../../harness/testEnv';
import { appLogin, createPushWorld, uniqueName, type PushWorld } from './world';

/** §9.4: the app's least-privilege role gets SELECT on its own schema's tables and nothing else. */
describe('app role', () => {
	let w: PushWorld;
	let app: Awaited<ReturnType<typeof appLogin>>;
	const tagmeRole = uniqueName('tagme_app');
	const bidbaasRole = uniqueName('bidbaas_app');
	const target = (schema: string, table: string, appRole: string): PushTargetInput => ({
		source: { kind: 'relation', schema: 'marts', table: 'agg_user' },
		target: { schema, table },
		key: ['user_hash'],
		appRole,
	});

	beforeAll(async () => {
		w = await createPushWorld('push_role');
		await w.wh.query(`CREATE TABLE marts.agg_user (user_hash text PRIMARY KEY, checkins_30d int)`);
		await w.wh.query(`INSERT INTO marts.agg_user SELECT md5(g::text) || md5(g::text), g FROM generate_series(1, 8) g`);
		expect((await w.push(target('roletest_tagme', 'user_summary', tagmeRole))).created).toBe(true);
		expect((await w.push(target('roletest_bidbaas', 'user_summary', bidbaasRole))).created).toBe(true);
		await w.an.query('CREATE TABLE public.app_secrets (k text)');
		await w.an.query(`INSERT INTO public.app_secrets VALUES ('x')`);
		app = await appLogin(w, tagmeRole);
	});
	afterAll(async () => {
		await app.drop();
		await w.close();
	});

	const denied = async (sql: string) => {
		const err = await app.pool.query(sql).then(
			() => null,
			(e: { code?: string; message: string }) => e,
		);
		expect(err).not.toBeNull();
		expect(err?.code).toBe('42501'); // insufficient_privilege
	};

	test('the app login reads its own schema', async () => {
		const { rows } = await app.pool.query('SELECT count(*)::int AS n, sum(checkins_30d)::int AS s FROM roletest_tagme.user_summary');
		expect(rows[0]).toEqual({ n: 8, s: 36 });
	});

	test('…and nothing else: no writes, no DDL, no other app schema, no public tables', async () => {
		await denied(`INSERT INTO roletest_tagme.user_summary VALUES ('x', 1)`);
		await denied(`UPDATE roletest_tagme.user_summary SET checkins_30d = 0`);
		await denied(`DELETE FROM roletest_tagme.user_summary`);
		await denied(`TRUNCATE roletest_tagme.user_summary`);
		await denied(`CREATE TABLE roletest_tagme.mine (x int)`);
		await denied('SELECT * FROM roletest_bidbaas.user_summary');
		await denied('SELECT * FROM public.app_secrets');
		const privs = await app.pool.query(
			`SELECT n.nspname || '.' || c.relname AS rel
			   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
			  WHERE c.relkind IN ('r', 'v', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
			    AND (has_table_privilege(c.oid, 'SELECT') OR has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE'))
			  ORDER BY 1`,
		);
		expect(privs.rows.map((r) => r.rel)).toEqual(['roletest_tagme.user_summary']);
		const write = await app.pool.query(`SELECT has_table_privilege('roletest_tagme.user_summary', 'INSERT,UPDATE,DELETE,TRUNCATE,REFERENCES,TRIGGER') AS w`);
		expect(write.rows[0].w).toBe(false);
	});

	test('a grant someone added by hand, or to PUBLIC, is taken away on the next push', async () => {
		const admin = new pg.Client(adminConnection(w.analytics.database) as pg.ClientConfig);
		await admin.connect();
		try {
			await admin.query(`GRANT SELECT ON roletest_bidbaas.user_summary TO PUBLIC`);
			await admin.query(`GRANT USAGE ON SCHEMA roletest_bidbaas TO PUBLIC`);
			await admin.query(`GRANT INSERT ON roletest_tagme.user_summary TO ${pg.escapeIdentifier(tagmeRole)}`);
		} finally {
			await admin.end();
		}
		expect((await app.pool.query('SELECT count(*)::int AS n FROM roletest_bidbaas.user_summary')).rows[0].n).toBe(8);
		await w.push(target('roletest_bidbaas', 'user_summary', bidbaasRole));
		await w.push(target('roletest_tagme', 'user_summary', tagmeRole));
		await denied('SELECT * FROM roletest_bidbaas.user_summary');
		await denied(`INSERT INTO roletest_tagme.user_summary VALUES ('y', 2)`);
		expect((await app.pool.query('SELECT count(*)::int AS n FROM roletest_tagme.user_summary')).rows[0].n).toBe(8);
	});

	test('the app role is created NOLOGIN without a password when missing, and reused when present', async () => {
		const { rows } = await w.an.query(
			`SELECT rolname, rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = ANY($1) ORDER BY rolname`,
			[[tagmeRole, bidbaasRole]],
		);
		expect(rows).toEqual(
			[
				{ rolname: bidbaasRole, rolcanlogin: false, no_password: true },
				{ rolname: tagmeRole, rolcanlogin: false, no_password: true },
			].sort((a, b) => a.rolname.localeCompare(b.rolname)),
		);
	});
});
