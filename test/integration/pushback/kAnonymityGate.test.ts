import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { createPushWorld, uniqueName, type PushWorld } from './world';

/**
 * §6.6: an aggregate row whose group (distinct users behind it) is smaller than k never reaches analytics_db,
 * and a row that falls below k later is removed from it.
 */
describe('k-anonymity gate', () => {
	let w: PushWorld;
	const target = (over: Partial<PushTargetInput> = {}): PushTargetInput => ({
		source: { kind: 'relation', schema: 'marts', table: 'agg_category_city' },
		target: { schema: 'kgate', table: 'category_city' },
		key: ['category', 'city'],
		appRole: uniqueName('kgate_app'),
		kAnonymity: { groupSizeColumn: 'users', k: 5 },
		...over,
	});

	beforeAll(async () => {
		w = await createPushWorld('push_kgate');
		// Built from per-user rows so the group sizes are real distinct-user counts, as a mart computes them.
		await w.wh.query(`CREATE TABLE marts.fct_visits (user_hash text, category text, city text)`);
		await w.wh.query(`INSERT INTO marts.fct_visits
			SELECT 'u' || g, 'food', 'Durban' FROM generate_series(1, 5) g          -- 5 users: kept
			UNION ALL SELECT 'u' || g, 'food', 'Soweto' FROM generate_series(1, 4) g -- 4 users: suppressed
			UNION ALL SELECT 'u' || g, 'music', 'Durban' FROM generate_series(1, 9) g
			UNION ALL SELECT 'u1', 'music', 'Durban'`); // a repeat visit does not make a group bigger
		await w.wh.query(`CREATE VIEW marts.agg_category_city AS
			SELECT category, city, count(DISTINCT user_hash)::int AS users, count(*)::int AS visits FROM marts.fct_visits GROUP BY 1, 2`);
	});
	afterAll(async () => w.close());

	test('a group of 5 users is pushed, a group of 4 is not', async () => {
		const r = await w.push(target());
		expect(r).toMatchObject({ status: 'pushed', rowsStaged: 2, inserted: 2, suppressed: 1, suppressedRemoved: 0 });
		expect(await w.rows('kgate.category_city', 'category, city')).toEqual([
			{ category: 'food', city: 'Durban', users: 5, visits: 5 },
			{ category: 'music', city: 'Durban', users: 9, visits: 10 },
		]);
		const run = await w.wh.query('SELECT k, group_size_column, rows_suppressed FROM dwh_control.push_runs WHERE push_run_id = $1', [r.runId]);
		expect(run.rows[0]).toEqual({ k: 5, group_size_column: 'users', rows_suppressed: '1' });
	});

	test('a group that shrinks to 4 (a user forgotten) is removed from the target; one that grows to 5 appears', async () => {
		await w.wh.query(`DELETE FROM marts.fct_visits WHERE user_hash = 'u5' AND city = 'Durban' AND category = 'food'`);
		await w.wh.query(`INSERT INTO marts.fct_visits VALUES ('u9', 'food', 'Soweto')`);
		const r = await w.push(target());
		expect(r).toMatchObject({ suppressed: 1, suppressedRemoved: 1, inserted: 1, deleted: 0, unchanged: 1, updated: 0 });
		expect((await w.rows('kgate.category_city', 'category, city')).map((x) => `${x.category}/${x.city}/${x.users}`)).toEqual([
			'food/Soweto/5',
			'music/Durban/9',
		]);
	});

	test('upsert mode also removes a row that fell below k, and a NULL group size counts as below k', async () => {
		const t = target({
			target: { schema: 'kgate', table: 'category_city_upsert' },
			mode: 'upsert',
			source: { kind: 'query', sql: 'SELECT category, city, users, visits FROM marts.agg_category_city' },
		});
		expect(await w.push(t)).toMatchObject({ inserted: 2, suppressed: 1 });
		const nulled = {
			...t,
			source: {
				kind: 'query' as const,
				sql: `SELECT category, city, CASE WHEN city = 'Soweto' THEN NULL ELSE users END AS users, visits FROM marts.agg_category_city`,
			},
		};
		const r = await w.push(nulled);
		expect(r).toMatchObject({ suppressed: 2, suppressedRemoved: 1, deleted: 0 });
		expect((await w.rows('kgate.category_city_upsert', 'category')).map((x) => x.city)).toEqual(['Durban']);
	});

	test('k is configurable; the group-size column must exist and be a number', async () => {
		const r = await w.push(target({ target: { schema: 'kgate', table: 'k10' }, kAnonymity: { groupSizeColumn: 'users', k: 10 } }));
		expect(r).toMatchObject({ inserted: 0, suppressed: 3, created: true });
		await expect(w.push(target({ target: { schema: 'kgate', table: 'k_missing' }, kAnonymity: { groupSizeColumn: 'members', k: 5 } }))).rejects.toThrow(
			'kAnonymity.groupSizeColumn members is not in the source marts.agg_category_city',
		);
		const textSize = target({
			source: { kind: 'query', sql: `SELECT category, city, users::text AS crowd FROM marts.agg_category_city` },
			target: { schema: 'kgate', table: 'k_text' },
			kAnonymity: { groupSizeColumn: 'crowd', k: 5 },
		});
		await expect(w.push(textSize)).rejects.toThrow('kAnonymity.groupSizeColumn crowd must be a number (distinct users behind the row), but it is text');
		await expect(w.push(target({ kAnonymity: { groupSizeColumn: 'city', k: 5 } }))).rejects.toThrow(
			'Invalid push target — kAnonymity.groupSizeColumn: the group-size column cannot be part of the key',
		);
	});
});
