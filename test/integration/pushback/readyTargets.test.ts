import { READY_TARGETS, readyTarget } from '../../../src/pushback/readyTargets';
import { createMartsFixtures, H } from './marts';
import { appLogin, createPushWorld, uniqueName, type PushWorld } from './world';

/** The §9.2 targets, fed by their marts queries from fixture marts, as an app would read them. */
describe('ready-made targets', () => {
	let w: PushWorld;
	// Role names are cluster-wide: a suffix keeps this file independent of other tests and of a re-run.
	const suffix = uniqueName('r');
	const config = (name: string) => {
		const c = readyTarget(name).config;
		return { ...c, appRole: `${c.appRole}_${suffix}` };
	};

	beforeAll(async () => {
		w = await createPushWorld('push_ready');
		await createMartsFixtures(w.wh);
	});
	afterAll(async () => w.close());

	test('the registry covers every app of §9.2 (the txtme, takemehome, whatwewant and funnel targets: test/integration/dbt/martsAcrossApps.test.ts)', () => {
		expect(new Set(READY_TARGETS.map((t) => t.app))).toEqual(new Set(['tagme', 'bidbaas', 'sdpkt', 'txtme', 'takemehome', 'whatwewant', 'shared']));
	});

	test('tagme.user_summary: 7/30-day check-ins and favourites per user', async () => {
		expect(await w.push(config('tagme.user_summary'))).toMatchObject({ status: 'pushed', inserted: 6 });
		const rows = await w.rows('tagme.user_summary', 'user_hash');
		expect(rows.find((r) => r.user_hash === H('a1'))).toEqual({
			user_hash: H('a1'),
			checkins_7d: 3,
			checkins_30d: 4,
			top_category: 'food',
			top_city: 'Durban',
		});
		expect(rows.find((r) => r.user_hash === H('a6'))).toEqual({
			user_hash: H('a6'),
			checkins_7d: 1,
			checkins_30d: 1,
			top_category: 'music',
			top_city: 'Soweto',
		});
	});

	test('tagme.poi_popularity: a place seen by 5 users is pushed, one seen by 4 is suppressed', async () => {
		expect(await w.push(config('tagme.poi_popularity'))).toMatchObject({ inserted: 1, suppressed: 1 });
		expect(await w.rows('tagme.poi_popularity', 'poi_id')).toEqual([{ poi_id: '1', checkins_7d: 6, checkins_30d: 7, trending_score: '19.71', users_30d: 5 }]);
	});

	test('bidbaas.user_summary and bidbaas.category_pulse', async () => {
		expect(await w.push(config('bidbaas.user_summary'))).toMatchObject({ inserted: 6 });
		const b1 = (await w.rows('bidbaas.user_summary', 'user_hash')).find((r) => r.user_hash === H('b1'));
		expect(b1).toEqual({ user_hash: H('b1'), bids_30d: 3, wins_30d: 1, total_spend_zar_30d: '10.00', category_mix: { art: 1, electronics: 2 }, bids_7d: 3 });
		expect(await w.push(config('bidbaas.category_pulse'))).toMatchObject({ inserted: 1, suppressed: 1 });
		expect(await w.rows('bidbaas.category_pulse', 'category')).toEqual([
			{ category: 'electronics', median_winning_bid_zar: '225.00', win_rate_30d: '0.67', supply_30d: 3, bidders_30d: 5 },
		]);
	});

	test('sdpkt.user_summary: senders and receivers', async () => {
		expect(await w.push(config('sdpkt.user_summary'))).toMatchObject({ inserted: 4 });
		const byHash = new Map((await w.rows('sdpkt.user_summary', 'user_hash')).map((r) => [r.user_hash, r]));
		expect(byHash.get(H('c1'))).toEqual({ user_hash: H('c1'), sends_30d: 3, receives_30d: 1, top_merchant_category: 'groceries' });
		expect(byHash.get(H('f1'))).toEqual({ user_hash: H('f1'), sends_30d: 0, receives_30d: 2, top_merchant_category: null });
		expect(byHash.has(H('c3'))).toBe(false);
	});

	test('shared.user_lifecycle and shared.fx_rates_daily', async () => {
		expect(await w.push(config('shared.user_lifecycle'))).toMatchObject({ inserted: 2 });
		expect(await w.rows('shared.user_lifecycle', 'days_since_signup DESC')).toEqual([
			{ user_hash: H('d1'), stage: 'active', days_since_signup: 100, apps_30d_array: ['bidbaas', 'tagme'] },
			{ user_hash: H('d2'), stage: 'new', days_since_signup: 3, apps_30d_array: [] },
		]);
		expect(await w.push(config('shared.fx_rates_daily'))).toMatchObject({ inserted: 2 });
		expect(await w.rows('shared.fx_rates_daily', 'currency_pair')).toEqual([
			{ currency_pair: 'EUR/ZAR', date: '2026-11-20', rate_close: '20.000000' },
			{ currency_pair: 'USD/ZAR', date: '2026-11-20', rate_close: '18.518519' },
		]);
	});

	test("an app's login reads its own tables and not the other apps'", async () => {
		const tagme = await appLogin(w, config('tagme.user_summary').appRole);
		try {
			const mine = await tagme.pool.query('SELECT checkins_30d FROM tagme.user_summary WHERE user_hash = $1', [H('a1')]);
			expect(mine.rows).toEqual([{ checkins_30d: 4 }]);
			await expect(tagme.pool.query('SELECT * FROM bidbaas.user_summary')).rejects.toThrow(/permission denied/);
			await expect(tagme.pool.query('SELECT * FROM shared.user_lifecycle')).rejects.toThrow(/permission denied/);
		} finally {
			await tagme.drop();
		}
	});
});
