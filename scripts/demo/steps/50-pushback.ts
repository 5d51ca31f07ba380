import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { listTargets } from '../../../src/pushback/listTargets';
import { pushTarget, type PushContext } from '../../../src/pushback/pushTarget';
import { READY_TARGETS, readyTarget } from '../../../src/pushback/readyTargets';
import type { PushResult } from '../../../src/pushback/target.schema';
import { createPool } from '../../../src/transport/postgres';
import type { DemoContext } from '../context';

/**
 * Step 50 — push-back (design doc §9): every ready-made target is synced from the warehouse marts into
 * analytics_db, then the demo logs in AS the app (a LOGIN member of the app role) and reads what the app would.
 * dbt builds every mart the targets read (step 40); only when an earlier step did not run does a mart get a small
 * labelled stand-in with the contract columns, so every target can still be shown.
 */
export default async function pushback(demo: DemoContext): Promise<void> {
	const wh = createPool(demo.warehouse, { role: 'demo-pushback' });
	const an = createPool(demo.analytics, { role: 'pushback' });
	const ctx: PushContext = { warehouse: wh, analytics: an, log: () => undefined, executionId: 'demo-steps' };
	try {
		demo.section('Push-back: marts → analytics_db (k ≥ 5, no PII, SELECT for the app role only)');
		const standIns = await ensureMarts(wh, demo);
		if (standIns.length) demo.log(`Stand-in marts created for this demo (not built by earlier steps): ${standIns.join(', ')}`);

		const first: PushResult[] = [];
		for (const t of READY_TARGETS) first.push(await pushTarget(ctx, t.config));
		demo.table(first.map(summary));

		demo.section('Re-run: idempotent — only changed rows are written');
		const again: PushResult[] = [];
		for (const t of READY_TARGETS) again.push(await pushTarget(ctx, t.config));
		demo.table(again.map(summary));

		demo.section('Right to be forgotten (§6.8): a user leaves the mart, the next mirror push drops them');
		const { rows: gone } = await wh.query<{ user_hash: string }>(
			`DELETE FROM marts.dim_user_360_anon WHERE user_hash = (SELECT user_hash FROM marts.dim_user_360_anon ORDER BY user_hash LIMIT 1) RETURNING user_hash`,
		);
		const forgotten = await pushTarget(ctx, readyTarget('shared.user_lifecycle').config);
		demo.table([{ ...summary(forgotten), forgotten_user: gone[0] ? `${gone[0].user_hash.slice(0, 12)}…` : '(none)' }]);

		demo.section('What the TagMe API reads (logged in as a member of tagme_app)');
		await asApp(demo, 'tagme_app', async (app) => {
			const { rows: one } = await app.query(`SELECT user_hash FROM tagme.user_summary ORDER BY checkins_30d DESC, user_hash LIMIT 1`);
			const h = one[0]?.user_hash as string | undefined;
			if (h) {
				const { rows } = await app.query('SELECT * FROM tagme.user_summary WHERE user_hash = $1', [h]);
				demo.table(rows.map((r) => ({ ...r, user_hash: `${String(r.user_hash).slice(0, 12)}…` })));
			}
			const { rows: pois } = await app.query('SELECT * FROM tagme.poi_popularity ORDER BY checkins_30d DESC, poi_id LIMIT 5');
			demo.table(pois);
			for (const other of ['bidbaas.user_summary', 'shared.user_lifecycle']) {
				const denied = await app.query(`SELECT 1 FROM ${other} LIMIT 1`).then(
					() => 'READABLE (unexpected)',
					(e: Error) => e.message,
				);
				demo.log(`tagme_app reading ${other}: ${denied}`);
			}
		});

		demo.section("What the BidBaas API reads: 'your bids this week' (logged in as a member of bidbaas_app)");
		await asApp(demo, 'bidbaas_app', async (app) => {
			const { rows } = await app.query(
				`SELECT user_hash, bids_7d, bids_30d, wins_30d, total_spend_zar_30d::text, category_mix FROM bidbaas.user_summary ORDER BY bids_7d DESC, user_hash LIMIT 3`,
			);
			demo.table(rows.map((r) => ({ ...r, user_hash: `${String(r.user_hash).slice(0, 12)}…`, category_mix: JSON.stringify(r.category_mix) })));
			if (!rows.some((r) => Number(r.bids_7d) > 0)) throw new Error('bidbaas.user_summary has no bids this week: the BidBaas chain did not reach analytics_db');
		});

		demo.section('dwh_control.push_target_status (List Targets)');
		demo.table((await listTargets(wh)).map((t) => ({ target: t.name, k: t.k ?? '', role: t.appRole, last: t.lastStatus, reads: t.reads.join(', ') })));
	} finally {
		await Promise.all([wh.end(), an.end()]);
	}
}

function summary({ target, runId, status, created, inserted, updated, unchanged, deleted, suppressed }: PushResult): Record<string, unknown> {
	return { target, run: runId, status, created, inserted, updated, unchanged, deleted, suppressed_below_k: suppressed };
}

/** A throw-away LOGIN role in the app role, with a random password that is never printed. */
async function asApp(demo: DemoContext, appRole: string, use: (app: pg.Pool) => Promise<void>): Promise<void> {
	const login = `demo_${appRole}_login`;
	const password = randomBytes(18).toString('base64url');
	const admin = new pg.Client({
		host: demo.analytics.host,
		port: demo.analytics.port,
		user: demo.analytics.user,
		password: demo.analytics.password,
		database: demo.analytics.database,
	});
	await admin.connect();
	try {
		await admin.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(login)}`);
		await admin.query(`CREATE ROLE ${pg.escapeIdentifier(login)} LOGIN PASSWORD ${pg.escapeLiteral(password)} IN ROLE ${pg.escapeIdentifier(appRole)}`);
	} finally {
		await admin.end();
	}
	const app = new pg.Pool({ host: demo.analytics.host, port: demo.analytics.port, user: login, password, database: demo.analytics.database, max: 1 });
	try {
		await use(app);
	} finally {
		await app.end();
	}
}

async function exists(wh: pg.Pool, relation: string): Promise<boolean> {
	const { rows } = await wh.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [relation]);
	return rows[0].r !== null;
}

async function isEmpty(wh: pg.Pool, relation: string): Promise<boolean> {
	const { rows } = await wh.query(`SELECT 1 FROM ${relation} LIMIT 1`);
	return rows.length === 0;
}

/** Contract-shaped stand-ins for marts the earlier steps did not build; existing marts are used as they are. */
async function ensureMarts(wh: pg.Pool, demo: DemoContext): Promise<string[]> {
	const f = demo.faker;
	const made: string[] = [];
	const users = Array.from({ length: 60 }, (_, i) => createHash('sha256').update(`demo-user-${i}-${f.string.uuid()}`).digest('hex'));
	const pick = <T>(xs: T[]) => xs[f.number.int({ min: 0, max: xs.length - 1 })];
	const daysAgo = () => f.number.int({ min: 0, max: 29 });
	await wh.query('CREATE SCHEMA IF NOT EXISTS marts');

	if (!(await exists(wh, 'marts.fct_tagme_checkins'))) {
		await wh.query(
			`CREATE TABLE marts.fct_tagme_checkins (checkin_id bigserial PRIMARY KEY, user_hash text, poi_id bigint, category text, city text, checked_in_at timestamptz)`,
		);
		const cats = ['food', 'music', 'art', 'sport'];
		const cities = ['Johannesburg', 'Durban', 'Cape Town'];
		for (let i = 0; i < 600; i++) {
			// A few popular places and a long tail, so the k gate has something to suppress.
			const poi = i % 5 === 0 ? f.number.int({ min: 100, max: 140 }) : f.number.int({ min: 1, max: 8 });
			await wh.query(
				`INSERT INTO marts.fct_tagme_checkins (user_hash, poi_id, category, city, checked_in_at) VALUES ($1, $2, $3, $4, now() - make_interval(days => $5))`,
				[pick(users), poi, cats[poi % cats.length], cities[poi % cities.length], daysAgo()],
			);
		}
		made.push('marts.fct_tagme_checkins');
	}
	if (!(await exists(wh, 'marts.fct_bidbaas_bids'))) {
		await wh.query(
			`CREATE TABLE marts.fct_bidbaas_bids (bid_id bigserial PRIMARY KEY, auction_id bigint, user_hash text, category text, amount_zar numeric(18,2), is_winning boolean, bid_at timestamptz)`,
		);
		const cats = ['electronics', 'vehicles', 'collectables', 'rare-stamps'];
		for (let a = 1; a <= 80; a++) {
			const cat = a % 40 === 0 ? 'rare-stamps' : pick(cats.slice(0, 3));
			// rare-stamps: a niche with too few bidders to publish (k gate).
			const n = cat === 'rare-stamps' ? 1 : f.number.int({ min: 1, max: 6 });
			const bids = Array.from({ length: n }, () => f.number.int({ min: 50, max: 5000 })).sort((x, y) => x - y);
			for (let b = 0; b < n; b++) {
				await wh.query(
					`INSERT INTO marts.fct_bidbaas_bids (auction_id, user_hash, category, amount_zar, is_winning, bid_at) VALUES ($1, $2, $3, $4, $5, now() - make_interval(days => $6))`,
					[a, pick(users), cat, bids[b], b === n - 1 && a % 3 !== 0, daysAgo()],
				);
			}
		}
		made.push('marts.fct_bidbaas_bids');
	}
	if (!(await exists(wh, 'marts.fct_sdpkt_payments'))) {
		await wh.query(
			`CREATE TABLE marts.fct_sdpkt_payments (payment_id bigserial PRIMARY KEY, sender_hash text, receiver_hash text, merchant_category text, amount_zar numeric(18,2), paid_at timestamptz)`,
		);
		for (let i = 0; i < 300; i++) {
			await wh.query(
				`INSERT INTO marts.fct_sdpkt_payments (sender_hash, receiver_hash, merchant_category, amount_zar, paid_at) VALUES ($1, $2, $3, $4, now() - make_interval(days => $5))`,
				[pick(users), pick(users), pick(['groceries', 'fuel', 'airtime', 'p2p']), f.number.int({ min: 10, max: 2000 }), daysAgo()],
			);
		}
		made.push('marts.fct_sdpkt_payments');
	}
	if (!(await exists(wh, 'marts.dim_user_360_anon'))) {
		await wh.query(`CREATE TABLE marts.dim_user_360_anon (user_hash text PRIMARY KEY, lifecycle_stage text, signed_up_at timestamptz)`);
		for (const u of users) {
			await wh.query(`INSERT INTO marts.dim_user_360_anon VALUES ($1, $2, now() - make_interval(days => $3))`, [
				u,
				pick(['new', 'active', 'engaged', 'dormant']),
				f.number.int({ min: 1, max: 900 }),
			]);
		}
		made.push('marts.dim_user_360_anon');
	}
	if (!(await exists(wh, 'marts.fct_ledger_transactions_anon'))) {
		await wh.query(
			`CREATE TABLE marts.fct_ledger_transactions_anon (transaction_id bigserial PRIMARY KEY, user_hash text, app_id text, created_at timestamptz)`,
		);
		for (let i = 0; i < 200; i++) {
			await wh.query(`INSERT INTO marts.fct_ledger_transactions_anon (user_hash, app_id, created_at) VALUES ($1, $2, now() - make_interval(days => $3))`, [
				pick(users),
				pick(['tagme', 'bidbaas', 'sdpkt']),
				daysAgo(),
			]);
		}
		made.push('marts.fct_ledger_transactions_anon');
	}
	if (!(await exists(wh, 'marts.dim_fx_rates_daily'))) {
		await wh.query(
			`CREATE TABLE marts.dim_fx_rates_daily (currency text, rate_date date, units_per_zar numeric, source text, PRIMARY KEY (currency, rate_date))`,
		);
	}
	if (await isEmpty(wh, 'marts.dim_fx_rates_daily')) {
		await wh.query(`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source)
			SELECT c, current_date - d, u * (1 + d / 1000.0), 'demo stand-in'
			  FROM (VALUES ('USD', 0.0541), ('EUR', 0.0502), ('GBP', 0.0428)) AS r(c, u), generate_series(0, 4) d`);
		made.push('marts.dim_fx_rates_daily (rows)');
	}
	return made;
}
