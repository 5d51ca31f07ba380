import type pg from 'pg';

/**
 * Minimal marts fixtures for the ready-made targets: just the columns each feed reads (the contract in
 * docs/pushback.md), with rows placed relative to now() so the 7/30-day windows are exercised.
 * dim_fx_rates_daily is created by the enrich migration when present; a stand-in otherwise.
 */
export const H = (name: string) => (name + '0'.repeat(64)).slice(0, 64).replace(/[^0-9a-f]/g, 'e');

export async function createMartsFixtures(wh: pg.Pool): Promise<void> {
	await wh.query(`CREATE SCHEMA IF NOT EXISTS marts;
		CREATE TABLE marts.fct_tagme_checkins (checkin_id bigserial PRIMARY KEY, user_hash text, poi_id bigint, category text, city text, checked_in_at timestamptz);
		CREATE TABLE marts.fct_bidbaas_bids (bid_id bigserial PRIMARY KEY, auction_id bigint, user_hash text, category text, amount_zar numeric(18,2), is_winning boolean, bid_at timestamptz);
		CREATE TABLE marts.fct_sdpkt_payments (payment_id bigserial PRIMARY KEY, sender_hash text, receiver_hash text, merchant_category text, amount_zar numeric(18,2), paid_at timestamptz);
		CREATE TABLE marts.dim_user_360_anon (user_hash text PRIMARY KEY, age_band text, city text, lifecycle_stage text, signed_up_at timestamptz, apps_used_30d text[]);
		CREATE TABLE marts.fct_ledger_transactions_anon (transaction_id bigserial PRIMARY KEY, user_hash text, app_id text, amount_zar numeric(18,2), created_at timestamptz);
		CREATE TABLE IF NOT EXISTS marts.dim_fx_rates_daily (currency text NOT NULL, rate_date date NOT NULL, units_per_zar numeric NOT NULL, source text NOT NULL, PRIMARY KEY (currency, rate_date));`);

	const checkins: [string, number, string, string, number][] = [
		['a1', 1, 'food', 'Durban', 1],
		['a1', 1, 'food', 'Durban', 2],
		['a1', 2, 'music', 'Soweto', 3],
		['a1', 1, 'food', 'Durban', 20],
		['a1', 3, 'art', 'Durban', 40],
		['a2', 1, 'food', 'Durban', 1],
		['a3', 1, 'food', 'Durban', 1],
		['a4', 1, 'food', 'Durban', 1],
		['a4', 2, 'music', 'Soweto', 10],
		['a5', 1, 'food', 'Durban', 1],
		['a5', 2, 'music', 'Soweto', 1],
		['a6', 2, 'music', 'Soweto', 2],
	];
	for (const [u, poi, cat, city, days] of checkins) {
		await wh.query(
			`INSERT INTO marts.fct_tagme_checkins (user_hash, poi_id, category, city, checked_in_at) VALUES ($1, $2, $3, $4, now() - make_interval(days => $5))`,
			[H(u), poi, cat, city, days],
		);
	}

	const bids: [number, string, string, number, boolean, number][] = [
		[1, 'b1', 'electronics', 100, false, 1],
		[1, 'b2', 'electronics', 150, true, 1],
		[2, 'b3', 'electronics', 200, false, 2],
		[2, 'b4', 'electronics', 250, false, 2],
		[2, 'b5', 'electronics', 300, true, 2],
		[3, 'b1', 'electronics', 50, false, 3],
		[4, 'b1', 'art', 10, true, 4],
		[4, 'b6', 'art', 5, false, 4],
		[5, 'b1', 'art', 999, true, 45],
	];
	for (const [a, u, cat, amt, win, days] of bids) {
		await wh.query(
			`INSERT INTO marts.fct_bidbaas_bids (auction_id, user_hash, category, amount_zar, is_winning, bid_at) VALUES ($1, $2, $3, $4, $5, now() - make_interval(days => $6))`,
			[a, H(u), cat, amt, win, days],
		);
	}

	const payments: [string, string, string, number][] = [
		['c1', 'f1', 'groceries', 1],
		['c1', 'f2', 'fuel', 2],
		['c1', 'f1', 'groceries', 3],
		['c2', 'c1', 'p2p', 1],
		['c3', 'f1', 'groceries', 40],
	];
	for (const [s, r, cat, days] of payments) {
		await wh.query(
			`INSERT INTO marts.fct_sdpkt_payments (sender_hash, receiver_hash, merchant_category, amount_zar, paid_at) VALUES ($1, $2, $3, 10, now() - make_interval(days => $4))`,
			[H(s), H(r), cat, days],
		);
	}

	await wh.query(
		`INSERT INTO marts.dim_user_360_anon VALUES ($1, '25-34', 'Durban', 'active', now() - interval '100 days', '{bidbaas,tagme}'), ($2, '18-24', 'other', 'new', now() - interval '3 days', '{}')`,
		[H('d1'), H('d2')],
	);
	await wh.query(
		`INSERT INTO marts.fct_ledger_transactions_anon (user_hash, app_id, amount_zar, created_at) VALUES
		 ($1, 'tagme', 10, now() - interval '1 day'), ($1, 'bidbaas', 10, now() - interval '5 days'), ($1, 'tagme', 10, now() - interval '6 days'), ($1, 'ledger', 10, now() - interval '45 days')`,
		[H('d1')],
	);
	await wh.query(`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source) VALUES
		('USD', '2026-11-20', 0.054, 'test'), ('EUR', '2026-11-20', 0.05, 'test'), ('ZAR', '2026-11-20', 1, 'test')`);
}
