import { createHash } from 'node:crypto';
import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { createPushWorld, uniqueName, type PushWorld } from './world';

const hash = (n: number) => createHash('sha256').update(`user-${n}`).digest('hex');

describe('push-back sync', () => {
	let w: PushWorld;
	const appRole = uniqueName('sync_app');
	const target = (over: Partial<PushTargetInput> = {}): PushTargetInput => ({
		source: { kind: 'relation', schema: 'marts', table: 'agg_user_activity' },
		target: { schema: 'synctest', table: 'user_summary' },
		key: ['user_hash'],
		appRole,
		...over,
	});

	beforeAll(async () => {
		w = await createPushWorld('push_sync');
		await w.wh.query(`CREATE TABLE marts.agg_user_activity (
			user_hash text PRIMARY KEY, checkins_30d integer NOT NULL, top_city text, spend_zar numeric(18,2), tags jsonb)`);
		await w.wh.query(
			`INSERT INTO marts.agg_user_activity SELECT h, n, CASE WHEN n % 2 = 0 THEN 'Durban' ELSE 'Soweto' END, n * 10.5, jsonb_build_object('n', n)
			   FROM unnest($1::text[], $2::int[]) AS u(h, n)`,
			[[1, 2, 3, 4, 5, 6].map(hash), [1, 2, 3, 4, 5, 6]],
		);
	});
	afterAll(async () => w.close());

	test('first push creates schema, table (keyed) and app role, and copies every row', async () => {
		const r = await w.push(target());
		expect(r).toMatchObject({ status: 'pushed', created: true, rowsStaged: 6, inserted: 6, updated: 0, unchanged: 0, deleted: 0, suppressed: 0 });
		const rows = await w.rows('synctest.user_summary', 'checkins_30d');
		expect(rows).toHaveLength(6);
		expect(rows[2]).toEqual({ user_hash: hash(3), checkins_30d: 3, top_city: 'Soweto', spend_zar: '31.50', tags: { n: 3 } });

		const pk = await w.an.query(
			`SELECT array_agg(a.attname::text) AS cols FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
			  WHERE i.indrelid = 'synctest.user_summary'::regclass AND i.indisprimary`,
		);
		expect(pk.rows[0].cols).toEqual(['user_hash']);
		const types = await w.an.query(
			`SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'synctest.user_summary'::regclass AND attnum > 0 ORDER BY attnum`,
		);
		expect(types.rows.map((t) => `${t.attname} ${t.type}`)).toEqual([
			'user_hash text',
			'checkins_30d integer',
			'top_city text',
			'spend_zar numeric(18,2)',
			'tags jsonb',
		]);
		const role = await w.an.query('SELECT rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = $1', [appRole]);
		expect(role.rows).toEqual([{ rolcanlogin: false, no_password: true }]);

		const run = await w.wh.query('SELECT * FROM dwh_control.push_runs WHERE push_run_id = $1', [r.runId]);
		expect(run.rows[0]).toMatchObject({
			target_name: 'synctest.user_summary',
			status: 'pushed',
			table_created: true,
			rows_staged: '6',
			rows_inserted: '6',
			rows_updated: '0',
			rows_unchanged: '0',
			rows_deleted: '0',
			source_description: 'marts.agg_user_activity',
			mode: 'mirror',
		});
	});

	test('a re-run with nothing changed writes nothing', async () => {
		const xminBefore = await w.an.query('SELECT user_hash, xmin::text FROM synctest.user_summary ORDER BY user_hash');
		const r = await w.push(target());
		expect(r).toMatchObject({ status: 'pushed', created: false, inserted: 0, updated: 0, unchanged: 6, deleted: 0 });
		const xminAfter = await w.an.query('SELECT user_hash, xmin::text FROM synctest.user_summary ORDER BY user_hash');
		expect(xminAfter.rows).toEqual(xminBefore.rows);
	});

	test('the second push updates only the rows that changed and inserts the new one', async () => {
		await w.wh.query(`UPDATE marts.agg_user_activity SET checkins_30d = 40 WHERE user_hash = $1`, [hash(4)]);
		await w.wh.query(`UPDATE marts.agg_user_activity SET tags = '{"n": 5, "vip": true}' WHERE user_hash = $1`, [hash(5)]);
		await w.wh.query(`UPDATE marts.agg_user_activity SET top_city = NULL WHERE user_hash = $1`, [hash(6)]);
		await w.wh.query(`INSERT INTO marts.agg_user_activity VALUES ($1, 7, 'Polokwane', 70, NULL)`, [hash(7)]);
		const untouched = await w.an.query('SELECT user_hash, xmin::text FROM synctest.user_summary WHERE user_hash = ANY($1) ORDER BY user_hash', [
			[1, 2, 3].map(hash),
		]);

		const r = await w.push(target());
		expect(r).toMatchObject({ inserted: 1, updated: 3, unchanged: 3, deleted: 0, rowsStaged: 7 });
		const rows = await w.rows('synctest.user_summary', 'checkins_30d');
		expect(rows.map((x) => x.checkins_30d)).toEqual([1, 2, 3, 5, 6, 7, 40]);
		expect(rows.find((x) => x.user_hash === hash(5))?.tags).toEqual({ n: 5, vip: true });
		expect(rows.find((x) => x.user_hash === hash(6))?.top_city).toBeNull();
		const still = await w.an.query('SELECT user_hash, xmin::text FROM synctest.user_summary WHERE user_hash = ANY($1) ORDER BY user_hash', [
			[1, 2, 3].map(hash),
		]);
		expect(still.rows).toEqual(untouched.rows);
	});

	test('mirror mode: a user deleted from the mart (right to be forgotten) disappears from analytics_db', async () => {
		await w.wh.query('DELETE FROM marts.agg_user_activity WHERE user_hash = $1', [hash(2)]);
		const r = await w.push(target());
		expect(r).toMatchObject({ deleted: 1, inserted: 0, updated: 0, unchanged: 6 });
		const left = await w.an.query('SELECT count(*)::int AS n, count(*) FILTER (WHERE user_hash = $1)::int AS forgotten FROM synctest.user_summary', [hash(2)]);
		expect(left.rows[0]).toEqual({ n: 6, forgotten: 0 });
	});

	test('upsert mode keeps target rows the source no longer has', async () => {
		const t = target({ target: { schema: 'synctest', table: 'user_summary_upsert' }, mode: 'upsert' });
		expect((await w.push(t)).inserted).toBe(6);
		await w.wh.query('DELETE FROM marts.agg_user_activity WHERE user_hash = $1', [hash(3)]);
		const r = await w.push(t);
		expect(r).toMatchObject({ deleted: 0, unchanged: 5, inserted: 0 });
		const n = await w.an.query('SELECT count(*)::int AS n FROM synctest.user_summary_upsert WHERE user_hash = $1', [hash(3)]);
		expect(n.rows[0].n).toBe(1);
	});

	test('a query source is streamed like a relation; a column the mart gains is added to the target', async () => {
		const t = target({
			source: { kind: 'query', sql: 'SELECT user_hash, checkins_30d FROM marts.agg_user_activity WHERE checkins_30d > 4;' },
			target: { schema: 'synctest', table: 'busy_users' },
		});
		expect(await w.push(t)).toMatchObject({ created: true, inserted: 4 });
		const wider = {
			...t,
			source: { kind: 'query' as const, sql: `SELECT user_hash, checkins_30d, top_city FROM marts.agg_user_activity WHERE checkins_30d > 4` },
		};
		expect(await w.push(wider)).toMatchObject({ created: false, inserted: 0, updated: 3, unchanged: 1 });
		expect((await w.rows('synctest.busy_users', 'checkins_30d')).map((r) => r.top_city)).toEqual(['Soweto', null, 'Polokwane', 'Durban']);
		// Pooled sessions are handed back clean: no staging tables on analytics_db, no source view in the warehouse.
		const leftovers = await w.an.query(`SELECT count(*)::int AS n FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'pushback\\_%'`);
		expect(leftovers.rows[0].n).toBe(0);
		const views = await w.wh.query(`SELECT count(*)::int AS n FROM pg_class WHERE relpersistence = 't' AND relname LIKE 'pushback\\_%'`);
		expect(views.rows[0].n).toBe(0);
		// …but a column the source drops is an error: apps may read it.
		await expect(w.push(t)).rejects.toThrow(/target synctest\.busy_users has column\(s\) top_city that the source no longer produces/);
	});

	test('mirror refuses to empty a target from a source with no rows, unless allowed', async () => {
		const empty = target({ source: { kind: 'query', sql: 'SELECT * FROM marts.agg_user_activity WHERE false' } });
		await expect(w.push(empty)).rejects.toThrow(
			'source query returned no rows; a mirror push would empty synctest.user_summary (6 rows). Check that the mart was built, or set allowEmptySource if emptying it is intended',
		);
		expect((await w.an.query('SELECT count(*)::int AS n FROM synctest.user_summary')).rows[0].n).toBe(6);
		const emptied = await w.push({ ...empty, target: { schema: 'synctest', table: 'user_summary_upsert' }, mode: 'mirror', allowEmptySource: true });
		expect(emptied).toMatchObject({ status: 'pushed', deleted: 6 });
	});

	test('a custom query can not smuggle a second statement', async () => {
		const t = target({
			source: { kind: 'query', sql: 'SELECT user_hash, checkins_30d FROM marts.agg_user_activity; DROP TABLE marts.agg_user_activity' },
			target: { schema: 'synctest', table: 'smuggle' },
		});
		await expect(w.push(t)).rejects.toThrow(/source\.sql is not a valid single SELECT: .*multiple commands/);
		const still = await w.wh.query(`SELECT to_regclass('marts.agg_user_activity')::text AS t`);
		expect(still.rows[0].t).toBe('marts.agg_user_activity');
		// nor write: the source transaction is read-only
		const writer = target({
			source: { kind: 'query', sql: `WITH d AS (DELETE FROM marts.agg_user_activity RETURNING *) SELECT * FROM d` },
			target: { schema: 'synctest', table: 'writer' },
		});
		await expect(w.push(writer)).rejects.toThrow();
		expect((await w.wh.query('SELECT count(*)::int AS n FROM marts.agg_user_activity')).rows[0].n).toBe(5);
	});

	test('a missing source, a key not in the source and duplicate keys fail with errors naming them', async () => {
		await expect(
			w.push(target({ source: { kind: 'relation', schema: 'marts', table: 'nope' }, target: { schema: 'synctest', table: 'nope' } })),
		).rejects.toThrow('source relation marts.nope does not exist in the warehouse');
		await expect(w.push(target({ key: ['user_id'], target: { schema: 'synctest', table: 'badkey' } }))).rejects.toThrow(
			/key column\(s\) user_id are not in the source marts\.agg_user_activity/,
		);
		// A query keyed by a column with a NULL, then (NULL filtered out) with a repeated value.
		for (const [where, error] of [
			['', 'source query has 1 row(s) with a NULL in the key (top_city)'],
			[' WHERE top_city IS NOT NULL', 'source query has 1 key value(s) that occur more than once — the key (top_city) must identify one row'],
		]) {
			const sql = `SELECT top_city, checkins_30d FROM marts.agg_user_activity${where}`;
			await expect(w.push(target({ source: { kind: 'query', sql }, key: ['top_city'], target: { schema: 'synctest', table: 'dups' } }))).rejects.toThrow(error);
		}
		const created = await w.an.query(`SELECT to_regclass('synctest.dups')::text AS t, to_regclass('synctest.badkey')::text AS b`);
		expect(created.rows[0]).toEqual({ t: null, b: null });
		const failed = await w.wh.query(
			`SELECT count(*)::int AS n FROM dwh_control.push_runs WHERE status = 'failed' AND target_name IN ('synctest.dups', 'synctest.badkey', 'synctest.nope')`,
		);
		expect(failed.rows[0].n).toBe(4);
	});
});
