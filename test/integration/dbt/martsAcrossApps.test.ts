import { runDbt } from '../../../src/dbt/runDbt';
import type { DbtRunOutcome } from '../../../src/dbt/runOutcome';
import { enrichMartInputs } from '../../../src/enrich/martInputs';
import { createPool } from '../../../src/transport/postgres';
import { listTargets } from '../../../src/pushback/listTargets';
import { READY_TARGETS, readyTarget } from '../../../src/pushback/readyTargets';
import { stageLogin, type Login } from '../../harness/loginRole';
import { appLogin, createPushWorld, uniqueName, type PushWorld } from '../pushback/world';
import { dbtConfig } from './dbtFixtures';

/**
 * Issue 14 items 2-4, with every part real: anonymised rows of every demo app (the shapes the policies produce) →
 * Enrich's mart inputs as the Enrich login (dwh_etl) → dbt as dwh_transform → the §9.2 targets pushed as the
 * dwh_pushback login → read in analytics_db as the apps. Exact values throughout; k = 5.
 */
let w: PushWorld;
let etl: Login;
let transform: Login;
const suffix = uniqueName('m');
const H = (u: string) => `h_${u}_`.padEnd(64, '0');
/** An instant `days` local (SAST) calendar days ago at `hhmm`, so the local day of each event is known exactly. */
const at = (days: number, hhmm: string) =>
	`((((now() AT TIME ZONE 'Africa/Johannesburg')::date - ${days}) + time '${hhmm}') AT TIME ZONE 'Africa/Johannesburg')`;
const D1 = 2;
const D2 = 3;
const users = Array.from({ length: 12 }, (_, i) => `u${i + 1}`);
const bad = (o: DbtRunOutcome) =>
	o.nodes.filter((n) => !['success', 'pass', 'warn'].includes(n.status)).map((n) => `${n.name}: ${n.status} ${n.message ?? ''}`);
const push = (name: string) => {
	const c = readyTarget(name).config;
	return w.push({ ...c, appRole: `${c.appRole}_${suffix}` });
};

async function writeAnonymisedApps(): Promise<void> {
	const q = (sql: string) => w.wh.query(sql);
	await q(`CREATE SCHEMA IF NOT EXISTS intermediate`);
	// auth_db (policies/auth_db.policy.json): 12 users in one (age band, city) group; u12 signed up 3 days ago.
	await q(
		`CREATE TABLE intermediate.int_auth_db__users (user_hash text, email_hash text, age_band text, gender text, home_city text, province text, country text, status text, created_at timestamptz, updated_at timestamptz)`,
	);
	for (const u of users) {
		await w.wh.query(
			`INSERT INTO intermediate.int_auth_db__users VALUES ($1, $2, '25-34', 'female', 'Johannesburg', 'Gauteng', 'ZA', 'active', now() - make_interval(days => $3), now())`,
			[H(u), H(`e${u}`), u === 'u12' ? 3 : 200],
		);
	}
	// kyc_records: u1 basic then verified, u2-u3 verified, u4-u7 basic, u8-u12 none.
	await q(
		`CREATE TABLE intermediate.int_auth_db__kyc_records (id bigint, user_hash text, document_type text, document_token text, kyc_tier text, status text, verified_at timestamptz, created_at timestamptz, updated_at timestamptz)`,
	);
	const kyc: [string, string][] = [
		['u1', 'basic'],
		['u1', 'verified'],
		['u2', 'verified'],
		['u3', 'verified'],
		['u4', 'basic'],
		['u5', 'basic'],
		['u6', 'basic'],
		['u7', 'basic'],
	];
	for (const [i, [u, tier]] of kyc.entries())
		await w.wh.query(`INSERT INTO intermediate.int_auth_db__kyc_records VALUES ($1, $2, 'sa_id', 'tok', $3, 'approved', now(), now(), now())`, [
			i + 1,
			H(u),
			tier,
		]);

	// ledger_db: day D1 5 payers (published), day D2 4 payers (suppressed), a credit, a held (unlinked) record.
	await q(
		`CREATE TABLE intermediate.int_ledger_db__transactions (transaction_id bigint, account_hash text, user_hash text, direction text, amount_zar numeric(18,2), category text, merchant_name text, channel text, created_at timestamptz)`,
	);
	let id = 1;
	for (const u of ['u1', 'u2', 'u3', 'u4', 'u5'])
		await q(
			`INSERT INTO intermediate.int_ledger_db__transactions VALUES (${id++}, 'a', '${H(u)}', 'debit', 100, 'groceries', 'SPAR', 'card', ${at(D1, '10:00')})`,
		);
	for (const u of ['u1', 'u2', 'u3', 'u4'])
		await q(
			`INSERT INTO intermediate.int_ledger_db__transactions VALUES (${id++}, 'a', '${H(u)}', 'debit', 100, 'groceries', 'SPAR', 'card', ${at(D2, '10:00')})`,
		);
	await q(
		`INSERT INTO intermediate.int_ledger_db__transactions VALUES (${id++}, 'a', '${H('u6')}', 'credit', 1000, 'salary', NULL, 'eft', ${at(D1, '09:00')})`,
	);
	await q(`INSERT INTO intermediate.int_ledger_db__transactions VALUES (${id++}, 'a', NULL, 'debit', 999, 'groceries', 'SPAR', 'card', ${at(D1, '10:00')})`);

	// tagme_db check-ins (the funnel's first step): u1, u2 before their bids; u4 after its bid.
	await q(
		`CREATE TABLE intermediate.int_tagme_db__check_ins (check_in_id bigint, user_hash text, poi_id bigint, lat_grid numeric(6,2), lng_grid numeric(6,2), created_at timestamptz)`,
	);
	await q(
		`INSERT INTO intermediate.int_tagme_db__check_ins VALUES (1, '${H('u1')}', 1, -26.20, 28.05, ${at(D1, '08:00')}), (2, '${H('u2')}', 1, -26.20, 28.05, ${at(
			D1,
			'08:00',
		)}), (3, '${H('u4')}', 1, -26.20, 28.05, ${at(D1, '12:30')})`,
	);

	// bidbaas_db (policies/bidbaas_db.policy.json): A1 in rand won by u3, A2 in US dollars won by u5, A3 still open.
	await q(`CREATE TABLE intermediate.int_bidbaas_db__auctions (auction_id bigint, seller_hash text, category text, currency text, start_price numeric(18,2), reserve_price numeric(18,2), status text, starts_at timestamptz, ends_at timestamptz, created_at timestamptz, updated_at timestamptz);
		CREATE TABLE intermediate.int_bidbaas_db__bids (bid_id bigint, auction_id bigint, user_hash text, amount numeric(18,2), currency text, device_hash text, created_at timestamptz);
		CREATE TABLE intermediate.int_bidbaas_db__winners (winner_id bigint, auction_id bigint, bid_id bigint, user_hash text, amount numeric(18,2), currency text, created_at timestamptz)`);
	await q(`INSERT INTO intermediate.int_bidbaas_db__auctions VALUES
		(1, '${H('u9')}', 'electronics', 'ZAR', 80, NULL, 'settled', ${at(D1, '07:00')}, ${at(D1, '12:00')}, ${at(D1, '07:00')}, ${at(D1, '12:00')}),
		(2, '${H('u9')}', 'collectables', 'USD', 5, NULL, 'settled', ${at(D1, '07:00')}, ${at(D1, '12:00')}, ${at(D1, '07:00')}, ${at(D1, '12:00')}),
		(3, '${H(
			'u10',
		)}', 'fashion', 'ZAR', 40, NULL, 'open', now() - interval '1 day', now() + interval '1 day', now() - interval '1 day', now() - interval '1 day')`);
	await q(`INSERT INTO intermediate.int_bidbaas_db__bids VALUES
		(1, 1, '${H('u1')}', 100, 'ZAR', 'd', ${at(D1, '09:00')}), (2, 1, '${H('u2')}', 150, 'ZAR', 'd', ${at(D1, '09:30')}), (3, 1, '${H(
		'u3',
	)}', 200, 'ZAR', 'd', ${at(D1, '10:00')}),
		(4, 2, '${H('u4')}', 10, 'USD', 'd', ${at(D1, '11:00')}), (5, 2, '${H('u5')}', 11, 'USD', 'd', ${at(D1, '11:30')}),
		(6, 3, '${H('u1')}', 50, 'ZAR', 'd', now() - interval '1 hour'), (7, 3, '${H('u6')}', 60, 'ZAR', 'd', now() - interval '30 minutes')`);
	await q(
		`INSERT INTO intermediate.int_bidbaas_db__winners VALUES (1, 1, 3, '${H('u3')}', 200, 'ZAR', ${at(D1, '12:00')}), (2, 2, 5, '${H('u5')}', 11, 'USD', ${at(
			D1,
			'12:00',
		)})`,
	);

	// sdpkt_db (policies/sdpkt_db.policy.json): u1-u5 pay a merchant in ZA, u6-u10 send to u1 in Zimbabwe, one
	// pending and one failed payment (no revenue).
	await q(
		`CREATE TABLE intermediate.int_sdpkt_db__payments (payment_id bigint, sender_hash text, receiver_hash text, merchant_id bigint, merchant_name text, merchant_category text, amount numeric(18,2), currency text, country text, status text, created_at timestamptz, updated_at timestamptz)`,
	);
	id = 1;
	for (const u of ['u1', 'u2', 'u3', 'u4', 'u5'])
		await q(
			`INSERT INTO intermediate.int_sdpkt_db__payments VALUES (${id++}, '${H(u)}', NULL, 4, 'SPAR', 'groceries', 50, 'ZAR', 'ZA', 'settled', ${at(
				D1,
				'13:00',
			)}, ${at(D1, '13:01')})`,
		);
	for (const u of ['u6', 'u7', 'u8', 'u9', 'u10'])
		await q(
			`INSERT INTO intermediate.int_sdpkt_db__payments VALUES (${id++}, '${H(u)}', '${H('u1')}', NULL, NULL, NULL, 20, 'ZAR', 'ZW', 'settled', ${at(
				D1,
				'14:00',
			)}, ${at(D1, '14:01')})`,
		);
	await q(
		`INSERT INTO intermediate.int_sdpkt_db__payments VALUES (${id++}, '${H('u10')}', NULL, 4, 'SPAR', 'groceries', 30, 'ZAR', 'ZA', 'pending', ${at(
			D1,
			'15:00',
		)}, ${at(D1, '15:00')})`,
	);
	await q(
		`INSERT INTO intermediate.int_sdpkt_db__payments VALUES (${id++}, '${H(
			'u12',
		)}', NULL, 4, 'SPAR', 'groceries', 30, 'ZAR', 'ZA', 'failed', now() - interval '1 hour', now() - interval '1 hour')`,
	);

	// messaging_db (metadata only): u2 answers u1 after 6 min, u1 answers after 4 min then follows up; u3 answers after 30.
	await q(
		`CREATE TABLE intermediate.int_messaging_db__messages (message_id bigint, conversation_hash text, sender_user_hash text, has_media boolean, detected_language text, sent_at timestamptz, created_at timestamptz)`,
	);
	await q(`INSERT INTO intermediate.int_messaging_db__messages VALUES
		(1, 'c1', '${H('u1')}', false, 'en', ${at(D1, '10:00')}, ${at(D1, '10:00')}), (2, 'c1', '${H('u2')}', false, 'en', ${at(D1, '10:06')}, ${at(D1, '10:06')}),
		(3, 'c1', '${H('u1')}', true, 'en', ${at(D1, '10:10')}, ${at(D1, '10:10')}), (4, 'c1', '${H('u1')}', false, 'en', ${at(D1, '10:11')}, ${at(D1, '10:11')}),
		(5, 'c2', '${H('u1')}', false, 'zu', ${at(D1, '12:00')}, ${at(D1, '12:00')}), (6, 'c2', '${H('u3')}', false, 'zu', ${at(D1, '12:30')}, ${at(D1, '12:30')})`);

	// takemehome_db as its policy keeps it; whatwewant_db as a policy keeping only key, time and user would (the
	// earlier draft): the mart still builds, with category 'unknown' and no items.
	await q(`CREATE TABLE intermediate.int_takemehome_db__searches (id bigint, user_hash text, destination_city text, created_at timestamptz);
		CREATE TABLE intermediate.int_takemehome_db__clicks (id bigint, user_hash text, search_id bigint, created_at timestamptz);
		INSERT INTO intermediate.int_takemehome_db__searches VALUES (1, '${H('u1')}', 'Cape Town', now() - interval '2 days'), (2, '${H(
		'u1',
	)}', 'Cape Town', now() - interval '3 days'),
			(3, '${H('u1')}', 'Durban', now() - interval '4 days'), (4, '${H('u2')}', 'Durban', now() - interval '40 days');
		INSERT INTO intermediate.int_takemehome_db__clicks VALUES (1, '${H('u1')}', 1, now() - interval '2 days');
		CREATE TABLE intermediate.int_whatwewant_db__lists (id bigint, updated_at timestamptz, user_hash text);
		CREATE TABLE intermediate.int_whatwewant_db__items (id bigint, updated_at timestamptz);
		INSERT INTO intermediate.int_whatwewant_db__lists VALUES (1, now() - interval '5 days', '${H('u2')}'), (2, now() - interval '50 days', '${H('u3')}');
		INSERT INTO intermediate.int_whatwewant_db__items VALUES (1, now() - interval '5 days')`);

	// One USD and BTC rate for every day in the window (units per 1 ZAR).
	await q(
		`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source) VALUES ('USD', current_date - 60, 0.055, 'test'), ('BTC', current_date - 60, 0.0000006, 'test')`,
	);
}

beforeAll(async () => {
	w = await createPushWorld('marts_apps');
	etl = await stageLogin(w.warehouse.database, 'dwh_etl');
	transform = await stageLogin(w.warehouse.database, 'dwh_transform');
	await writeAnonymisedApps();
}, 120_000);
afterAll(async () => {
	await etl?.drop();
	await transform?.drop();
	await w?.close();
});

test('Enrich builds the mart inputs as its own login: FX, local day, cross-app events with sessions and funnel, user segments', async () => {
	const pool = createPool(etl.connection, { role: 'enrich' });
	try {
		const report = await enrichMartInputs(pool);
		expect(report.built.map((b) => [b.target, b.rows])).toEqual([
			['intermediate.enr_ledger_transactions', 11],
			['intermediate.enr_bidbaas_bids', 7],
			['intermediate.enr_sdpkt_payments', 12],
			// 12 sign-ups + 10 linked ledger rows + 3 check-ins + 7 bids + 2 wins + 12 payments.
			['intermediate.enr_app_events', 46],
			['intermediate.enr_users', 12],
		]);
		expect(report.skipped).toEqual({});
	} finally {
		await pool.end();
	}
	const usd = await w.wh.query(
		`SELECT bid_id::int, amount_zar::text, amount_usd::text FROM intermediate.enr_bidbaas_bids WHERE currency = 'USD' ORDER BY bid_id`,
	);
	expect(usd.rows).toEqual([
		{ bid_id: 4, amount_zar: '181.82', amount_usd: '10.00' },
		{ bid_id: 5, amount_zar: '200.00', amount_usd: '11.00' },
	]);
});

test('dbt builds every mart from the enriched relations, with its schema tests passing', async () => {
	const out = await runDbt(dbtConfig(transform.connection), { command: 'build', select: ['path:models/marts'] });
	expect(bad(out)).toEqual([]);
	const models = out.nodes
		.filter((n) => n.resourceType === 'model')
		.map((n) => n.name)
		.sort();
	expect(models).toEqual([
		'agg_funnel_app_to_app',
		'agg_revenue_daily_app_country',
		'dim_user_360_anon',
		'fct_bidbaas_auctions',
		'fct_bidbaas_bids',
		'fct_cross_app_funnel',
		'fct_ledger_transactions_anon',
		'fct_sdpkt_payments',
		'fct_tagme_checkins',
		'fct_takemehome_activity',
		'fct_txtme_messages',
		'fct_whatwewant_lists',
	]);
});

test('agg_revenue_daily_app_country: every app, country from the data, groups under 5 users not published', async () => {
	const { rows } = await w.wh.query(
		`SELECT app_id, country, ((now() AT TIME ZONE 'Africa/Johannesburg')::date - revenue_date) AS days_ago, user_count::int, tx_count::int, revenue_zar::text, revenue_usd::text
		   FROM marts.agg_revenue_daily_app_country ORDER BY app_id, country`,
	);
	// Not published: the wallet (ledger) on D2 (4 payers), BidBaas wins on D1 (2 winners), the pending and failed payments.
	expect(rows).toEqual([
		{ app_id: 'sdpkt', country: 'ZA', days_ago: D1, user_count: 5, tx_count: 5, revenue_zar: '250.00', revenue_usd: '13.75' },
		{ app_id: 'sdpkt', country: 'ZW', days_ago: D1, user_count: 5, tx_count: 5, revenue_zar: '100.00', revenue_usd: '5.50' },
		{ app_id: 'wallet', country: 'ZA', days_ago: D1, user_count: 5, tx_count: 5, revenue_zar: '500.00', revenue_usd: '27.50' },
	]);
});

test('dim_user_360_anon: kyc tier from kyc_records, segments and activity across apps', async () => {
	const tiers = await w.wh.query(`SELECT kyc_tier, count(*)::int AS n FROM marts.dim_user_360_anon GROUP BY 1 ORDER BY 1`);
	expect(tiers.rows).toEqual([
		{ kyc_tier: 'basic', n: 4 },
		{ kyc_tier: 'no-kyc', n: 5 },
		{ kyc_tier: 'verified', n: 3 },
	]);
	const row = async (u: string) =>
		(
			await w.wh.query(
				`SELECT kyc_tier, lifecycle_stage, apps_used_30d, revenue_band_zar_30d, events_30d, spend_zar_30d::text, province, city FROM marts.dim_user_360_anon WHERE user_hash = $1`,
				[H(u)],
			)
		).rows[0];
	expect(await row('u1')).toEqual({
		kyc_tier: 'verified',
		lifecycle_stage: 'engaged',
		apps_used_30d: ['bidbaas', 'sdpkt', 'tagme', 'wallet'],
		revenue_band_zar_30d: 'mid',
		events_30d: 6,
		spend_zar_30d: '250.00',
		province: 'Gauteng',
		city: 'Johannesburg',
	});
	expect(await row('u3')).toMatchObject({
		kyc_tier: 'verified',
		apps_used_30d: ['bidbaas', 'sdpkt', 'wallet'],
		revenue_band_zar_30d: 'high',
		spend_zar_30d: '450.00',
	});
	expect(await row('u11')).toMatchObject({ kyc_tier: 'no-kyc', lifecycle_stage: 'churned', apps_used_30d: [], revenue_band_zar_30d: 'none', events_30d: 0 });
	expect(await row('u12')).toMatchObject({ lifecycle_stage: 'new', apps_used_30d: ['sdpkt'], revenue_band_zar_30d: 'none' });
});

test('fct_bidbaas_bids / fct_bidbaas_auctions / fct_sdpkt_payments / fct_cross_app_funnel hold exact values', async () => {
	const bids = await w.wh.query(`SELECT bid_id::int, auction_id::int, category, amount_zar::text, is_winning FROM marts.fct_bidbaas_bids ORDER BY bid_id`);
	expect(bids.rows.map((r) => [r.bid_id, r.auction_id, r.category, r.amount_zar, r.is_winning])).toEqual([
		[1, 1, 'electronics', '100.00', false],
		[2, 1, 'electronics', '150.00', false],
		[3, 1, 'electronics', '200.00', true],
		[4, 2, 'collectables', '181.82', false],
		[5, 2, 'collectables', '200.00', true],
		[6, 3, 'fashion', '50.00', false],
		[7, 3, 'fashion', '60.00', false],
	]);
	const auctions = await w.wh.query(
		`SELECT auction_id::int, status, bid_count, bidder_count, winner_hash, revenue_zar::text, revenue_usd::text FROM marts.fct_bidbaas_auctions ORDER BY auction_id`,
	);
	expect(auctions.rows).toEqual([
		{ auction_id: 1, status: 'settled', bid_count: 3, bidder_count: 3, winner_hash: H('u3'), revenue_zar: '200.00', revenue_usd: '11.00' },
		{ auction_id: 2, status: 'settled', bid_count: 2, bidder_count: 2, winner_hash: H('u5'), revenue_zar: '200.00', revenue_usd: '11.00' },
		{ auction_id: 3, status: 'open', bid_count: 2, bidder_count: 2, winner_hash: null, revenue_zar: null, revenue_usd: null },
	]);
	const pay = await w.wh.query(
		`SELECT status, country, merchant_category, count(*)::int AS n, sum(amount_zar)::text AS zar FROM marts.fct_sdpkt_payments GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
	);
	expect(pay.rows).toEqual([
		{ status: 'failed', country: 'ZA', merchant_category: 'groceries', n: 1, zar: '30.00' },
		{ status: 'pending', country: 'ZA', merchant_category: 'groceries', n: 1, zar: '30.00' },
		{ status: 'settled', country: 'ZA', merchant_category: 'groceries', n: 5, zar: '250.00' },
		{ status: 'settled', country: 'ZW', merchant_category: 'p2p', n: 5, zar: '100.00' },
	]);
	const funnel = await w.wh.query(
		`SELECT f.user_hash, f.step, f.completed, f.entered_at = ${at(D1, '13:00')} AS at_pay, f.entered_at = ${at(
			D1,
			'12:30',
		)} AS at_checkin FROM marts.fct_cross_app_funnel f ORDER BY f.user_hash`,
	);
	// Three users started the funnel: fewer than 5, so the conversion aggregate publishes nothing (k = 5).
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM marts.agg_funnel_app_to_app`)).rows[0].n).toBe(0);
	// With k_min 2 (run only: the k tests would fail it, as they should) the conversion is visible.
	const k2 = await runDbt(dbtConfig(transform.connection), { command: 'run', select: ['agg_funnel_app_to_app'], vars: { k_min: 2 } });
	expect(k2.summary.status).toBe('success');
	const conv = await w.wh.query(`SELECT step, user_count, conversion_from_previous::text AS c FROM marts.agg_funnel_app_to_app ORDER BY step`);
	expect(conv.rows).toEqual([
		{ step: 1, user_count: 3, c: null },
		{ step: 2, user_count: 2, c: '0.67' },
		{ step: 3, user_count: 2, c: '1.00' },
	]);
	expect((await runDbt(dbtConfig(transform.connection), { command: 'run', select: ['agg_funnel_app_to_app'] })).summary.status).toBe('success');
	// u3 and u5 bid without a check-in first: out of order, never started.
	expect(funnel.rows).toEqual([
		{ user_hash: H('u1'), step: 3, completed: true, at_pay: true, at_checkin: false },
		{ user_hash: H('u2'), step: 3, completed: true, at_pay: true, at_checkin: false },
		{ user_hash: H('u4'), step: 1, completed: false, at_pay: false, at_checkin: true },
	]);
});

test('once dbt has built the marts, List Targets (what the hourly push workflow sends) has every §9.2 target ready', async () => {
	const pool = createPool(w.warehouse, { role: 'list' });
	try {
		const listed = await listTargets(pool);
		const ready = listed.filter((t) => t.app !== 'custom' && t.missingReads.length === 0).map((t) => t.name);
		expect(ready.sort()).toEqual(READY_TARGETS.map((t) => t.config.name).sort());
		expect(ready).toHaveLength(11);
	} finally {
		await pool.end();
	}
});

test('every §9.2 target is pushed as the dwh_pushback login and reads as the app; BidBaas shows "your bids this week"', async () => {
	const names = [
		'bidbaas.user_summary',
		'bidbaas.category_pulse',
		'sdpkt.user_summary',
		'txtme.user_summary',
		'takemehome.user_summary',
		'whatwewant.user_summary',
		'shared.user_lifecycle',
		'shared.cross_app_funnel',
	];
	const results = [];
	for (const n of names) results.push(await push(n));
	expect(results.map((r) => [r.target, r.status, r.inserted, r.suppressed])).toEqual([
		['bidbaas.user_summary', 'pushed', 6, 0],
		// Every category has fewer than 5 bidders: nothing is published.
		['bidbaas.category_pulse', 'pushed', 0, 3],
		['sdpkt.user_summary', 'pushed', 11, 0],
		['txtme.user_summary', 'pushed', 3, 0],
		['takemehome.user_summary', 'pushed', 1, 0],
		['whatwewant.user_summary', 'pushed', 1, 0],
		['shared.user_lifecycle', 'pushed', 12, 0],
		['shared.cross_app_funnel', 'pushed', 3, 0],
	]);
	expect(await w.rows('txtme.user_summary', 'user_hash')).toEqual([
		{ user_hash: H('u1'), convs_30d: 2, messages_30d: 4, top_lang: 'en', response_time_p50_min: '4.0' },
		{ user_hash: H('u2'), convs_30d: 1, messages_30d: 1, top_lang: 'en', response_time_p50_min: '6.0' },
		{ user_hash: H('u3'), convs_30d: 1, messages_30d: 1, top_lang: 'zu', response_time_p50_min: '30.0' },
	]);
	expect(await w.rows('takemehome.user_summary', 'user_hash')).toEqual([
		{ user_hash: H('u1'), searches_30d: 3, clicks_30d: 1, top_destination_city: 'Cape Town' },
	]);
	expect(await w.rows('whatwewant.user_summary', 'user_hash')).toEqual([
		{ user_hash: H('u2'), lists_30d: 1, items_30d: 0, fulfilled_30d: 0, top_category: 'unknown' },
	]);
	const sd = (await w.rows('sdpkt.user_summary', 'user_hash')).find((r) => r.user_hash === H('u1'));
	expect(sd).toEqual({ user_hash: H('u1'), sends_30d: 1, receives_30d: 5, top_merchant_category: 'groceries' });
	const life = (await w.rows('shared.user_lifecycle', 'user_hash')).find((r) => r.user_hash === H('u12'));
	expect(life).toEqual({ user_hash: H('u12'), stage: 'new', days_since_signup: 3, apps_30d_array: ['sdpkt'] });

	const bidbaas = await appLogin(w, `bidbaas_app_${suffix}`);
	try {
		const mine = await bidbaas.pool.query(
			'SELECT bids_7d, bids_30d, wins_30d, total_spend_zar_30d::text, category_mix FROM bidbaas.user_summary WHERE user_hash = $1',
			[H('u1')],
		);
		expect(mine.rows).toEqual([{ bids_7d: 2, bids_30d: 2, wins_30d: 0, total_spend_zar_30d: '0.00', category_mix: { electronics: 1, fashion: 1 } }]);
		const winner = await bidbaas.pool.query('SELECT bids_7d, wins_30d, total_spend_zar_30d::text FROM bidbaas.user_summary WHERE user_hash = $1', [H('u5')]);
		expect(winner.rows).toEqual([{ bids_7d: 1, wins_30d: 1, total_spend_zar_30d: '200.00' }]);
		await expect(bidbaas.pool.query('SELECT 1 FROM txtme.user_summary')).rejects.toThrow(/permission denied for schema txtme/);
	} finally {
		await bidbaas.drop();
	}
});
