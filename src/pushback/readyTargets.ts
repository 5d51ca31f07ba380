import { pushTargetSchema, type PushTarget, type PushTargetInput } from './target.schema';

/**
 * The §9.2 schema sketch as ready-made push-back targets. Each is fed by one SELECT over marts.* (the marts are
 * built by dbt at run time, after migrations, and dbt rebuilds tables with DROP … CASCADE, so the feeds live here
 * rather than as warehouse views that would be dropped with their marts). The marts' expected columns are listed
 * in `reads` and in docs/pushback.md; a missing mart fails the push with Postgres' "relation … does not exist".
 *
 * Windows are relative to now() (the push runs hourly, §10.2). Ratios are rounded to 2 decimals: the apps show
 * them as percentages, and a long decimal looks like a GPS degree to the PII content check.
 */
export interface ReadyTarget {
	app: 'tagme' | 'bidbaas' | 'sdpkt' | 'txtme' | 'takemehome' | 'whatwewant' | 'shared';
	/** Marts relation → columns this feed needs. */
	reads: Record<string, string[]>;
	config: PushTarget;
}

/** The role each app's targets are granted to: the app's own, or the read-only role every app shares. */
const appRoleOf = (app: ReadyTarget['app']) => (app === 'shared' ? 'analytics_shared_reader' : `${app}_app`);

/**
 * A ready-made target named <app>.<table>: analytics_db.<app>.<table>, mirrored from one SELECT over the marts in
 * `reads`, granted to the app's role.
 */
function define(
	name: `${ReadyTarget['app']}.${string}`,
	reads: ReadyTarget['reads'],
	description: string,
	{ sql, ...config }: Omit<PushTargetInput, 'name' | 'description' | 'source' | 'target' | 'mode' | 'appRole'> & { sql: string },
): ReadyTarget {
	const [app, table] = name.split('.') as [ReadyTarget['app'], string];
	return {
		app,
		reads,
		config: pushTargetSchema.parse({
			name,
			description,
			source: { kind: 'query', sql },
			target: { schema: app, table },
			mode: 'mirror',
			appRole: appRoleOf(app),
			...config,
		}),
	};
}

const CHECKINS = { 'marts.fct_tagme_checkins': ['user_hash', 'poi_id', 'category', 'city', 'checked_in_at'] };
const BIDS = { 'marts.fct_bidbaas_bids': ['auction_id', 'user_hash', 'category', 'amount_zar', 'is_winning', 'bid_at'] };
const PAYMENTS = { 'marts.fct_sdpkt_payments': ['sender_hash', 'receiver_hash', 'merchant_category', 'paid_at'] };
const MESSAGES = { 'marts.fct_txtme_messages': ['user_hash', 'conversation_hash', 'language', 'sent_at', 'response_time_min'] };
const TRAVEL = { 'marts.fct_takemehome_activity': ['kind', 'user_hash', 'destination_city', 'event_at'] };
const LISTS = { 'marts.fct_whatwewant_lists': ['user_hash', 'category', 'created_at', 'items_added_at', 'items_fulfilled_at'] };
const FUNNEL = { 'marts.fct_cross_app_funnel': ['funnel_id', 'user_hash', 'step', 'entered_at', 'completed'] };
const USER_360 = { 'marts.dim_user_360_anon': ['user_hash', 'lifecycle_stage', 'signed_up_at', 'apps_used_30d'] };
const FX_RATES = { 'marts.dim_fx_rates_daily': ['currency', 'rate_date', 'units_per_zar'] };

export const READY_TARGETS: ReadyTarget[] = [
	define('tagme.user_summary', CHECKINS, "Per-user check-in counts and favourites for TagMe's 'your activity' surface", {
		sql: `SELECT user_hash,
       count(*) FILTER (WHERE checked_in_at >= now() - interval '7 days')::integer AS checkins_7d,
       count(*)::integer AS checkins_30d,
       mode() WITHIN GROUP (ORDER BY category) AS top_category,
       mode() WITHIN GROUP (ORDER BY city) AS top_city
  FROM marts.fct_tagme_checkins
 WHERE checked_in_at >= now() - interval '30 days' AND user_hash IS NOT NULL
 GROUP BY user_hash`,
		key: ['user_hash'],
	}),
	define('tagme.poi_popularity', CHECKINS, 'Check-ins per place; places visited by fewer than k distinct users are not pushed', {
		sql: `SELECT poi_id::text AS poi_id,
       count(*) FILTER (WHERE checked_in_at >= now() - interval '7 days')::integer AS checkins_7d,
       count(*)::integer AS checkins_30d,
       -- daily rate of the last 7 days over the daily rate of the 23 before (1.00 = steady)
       round((count(*) FILTER (WHERE checked_in_at >= now() - interval '7 days') / 7.0)
             / greatest(count(*) FILTER (WHERE checked_in_at < now() - interval '7 days') / 23.0, 1 / 23.0), 2) AS trending_score,
       count(DISTINCT user_hash)::integer AS users_30d
  FROM marts.fct_tagme_checkins
 WHERE checked_in_at >= now() - interval '30 days' AND poi_id IS NOT NULL
 GROUP BY poi_id`,
		key: ['poi_id'],
		kAnonymity: { groupSizeColumn: 'users_30d', k: 5 },
	}),
	define('bidbaas.user_summary', BIDS, "Per-user bids, wins and spend for BidBaas' 'your bids this week' surface (bids_7d)", {
		sql: `WITH b AS (
    SELECT user_hash, category, amount_zar, is_winning, bid_at
      FROM marts.fct_bidbaas_bids
     WHERE bid_at >= now() - interval '30 days' AND user_hash IS NOT NULL
), mix AS (
    SELECT user_hash, jsonb_object_agg(category, n) AS category_mix
      FROM (SELECT user_hash, coalesce(category, 'unknown') AS category, count(*) AS n FROM b GROUP BY 1, 2) c
     GROUP BY user_hash
)
SELECT b.user_hash,
       count(*)::integer AS bids_30d,
       count(*) FILTER (WHERE b.is_winning)::integer AS wins_30d,
       coalesce(sum(b.amount_zar) FILTER (WHERE b.is_winning), 0)::numeric(18, 2) AS total_spend_zar_30d,
       mix.category_mix,
       count(*) FILTER (WHERE b.bid_at >= now() - interval '7 days')::integer AS bids_7d
  FROM b JOIN mix USING (user_hash)
 GROUP BY b.user_hash, mix.category_mix`,
		key: ['user_hash'],
	}),
	define('bidbaas.category_pulse', BIDS, 'Per-category auction pulse; categories with fewer than k distinct bidders are not pushed', {
		sql: `SELECT coalesce(category, 'unknown') AS category,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY amount_zar) FILTER (WHERE is_winning))::numeric(18, 2) AS median_winning_bid_zar,
       round(count(DISTINCT auction_id) FILTER (WHERE is_winning)::numeric / count(DISTINCT auction_id), 2) AS win_rate_30d,
       count(DISTINCT auction_id)::integer AS supply_30d,
       count(DISTINCT user_hash)::integer AS bidders_30d
  FROM marts.fct_bidbaas_bids
 WHERE bid_at >= now() - interval '30 days'
 GROUP BY 1`,
		key: ['category'],
		kAnonymity: { groupSizeColumn: 'bidders_30d', k: 5 },
	}),
	define('sdpkt.user_summary', PAYMENTS, 'Per-user sends, receives and favourite merchant category for SDPKT', {
		sql: `WITH p AS (
    SELECT sender_hash, receiver_hash, merchant_category FROM marts.fct_sdpkt_payments WHERE paid_at >= now() - interval '30 days'
), s AS (
    SELECT sender_hash AS user_hash, count(*) AS sends, mode() WITHIN GROUP (ORDER BY merchant_category) AS top_merchant_category
      FROM p WHERE sender_hash IS NOT NULL GROUP BY 1
), r AS (
    SELECT receiver_hash AS user_hash, count(*) AS receives FROM p WHERE receiver_hash IS NOT NULL GROUP BY 1
)
SELECT user_hash, coalesce(s.sends, 0)::integer AS sends_30d, coalesce(r.receives, 0)::integer AS receives_30d, s.top_merchant_category
  FROM s FULL JOIN r USING (user_hash)`,
		key: ['user_hash'],
	}),
	define('txtme.user_summary', MESSAGES, 'Per-user conversations, messages, language and reply time for TxTMe! (metadata only, §6.5)', {
		sql: `SELECT user_hash,
       count(DISTINCT conversation_hash)::integer AS convs_30d,
       count(*)::integer AS messages_30d,
       mode() WITHIN GROUP (ORDER BY language) AS top_lang,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY response_time_min))::numeric, 1) AS response_time_p50_min
  FROM marts.fct_txtme_messages
 WHERE sent_at >= now() - interval '30 days' AND user_hash IS NOT NULL
 GROUP BY user_hash`,
		key: ['user_hash'],
	}),
	define('takemehome.user_summary', TRAVEL, 'Per-user searches, clicks and most-searched destination for Takemehome', {
		sql: `SELECT user_hash,
       count(*) FILTER (WHERE kind = 'search')::integer AS searches_30d,
       count(*) FILTER (WHERE kind = 'click')::integer AS clicks_30d,
       mode() WITHIN GROUP (ORDER BY destination_city) FILTER (WHERE kind = 'search') AS top_destination_city
  FROM marts.fct_takemehome_activity
 WHERE event_at >= now() - interval '30 days' AND user_hash IS NOT NULL
 GROUP BY user_hash`,
		key: ['user_hash'],
	}),
	define('whatwewant.user_summary', LISTS, 'Per-user lists, items added and fulfilled, and favourite category for WhatWeWant', {
		sql: `WITH l AS (
    SELECT user_hash, category, created_at,
           (SELECT count(*) FROM unnest(items_added_at) t WHERE t >= now() - interval '30 days') AS added,
           (SELECT count(*) FROM unnest(items_fulfilled_at) t WHERE t >= now() - interval '30 days') AS fulfilled
      FROM marts.fct_whatwewant_lists WHERE user_hash IS NOT NULL
)
SELECT user_hash,
       count(*) FILTER (WHERE created_at >= now() - interval '30 days')::integer AS lists_30d,
       sum(added)::integer AS items_30d,
       sum(fulfilled)::integer AS fulfilled_30d,
       mode() WITHIN GROUP (ORDER BY category) AS top_category
  FROM l
 GROUP BY user_hash
HAVING count(*) FILTER (WHERE created_at >= now() - interval '30 days') > 0 OR sum(added) > 0 OR sum(fulfilled) > 0`,
		key: ['user_hash'],
	}),
	define('shared.user_lifecycle', USER_360, 'Lifecycle stage (§7.4) and apps used in the last 30 days, per user, for every app', {
		sql: `SELECT user_hash,
       lifecycle_stage AS stage,
       ((now() AT TIME ZONE 'Africa/Johannesburg')::date - (signed_up_at AT TIME ZONE 'Africa/Johannesburg')::date)::integer AS days_since_signup,
       coalesce(apps_used_30d, '{}'::text[]) AS apps_30d_array
  FROM marts.dim_user_360_anon
 WHERE user_hash IS NOT NULL`,
		key: ['user_hash'],
	}),
	define('shared.cross_app_funnel', FUNNEL, 'Per user, the furthest step of the cross-app funnel (TagMe check-in → BidBaas bid → SDPKT payment, §7.5)', {
		sql: `SELECT funnel_id, user_hash, step, entered_at, completed FROM marts.fct_cross_app_funnel WHERE user_hash IS NOT NULL`,
		key: ['funnel_id', 'user_hash'],
	}),
	define('shared.fx_rates_daily', FX_RATES, 'Daily closing rates in rand per unit of each currency (e.g. USD/ZAR), for FX-aware app screens', {
		sql: `SELECT currency || '/ZAR' AS currency_pair, rate_date AS date, round(1 / units_per_zar, 6) AS rate_close
  FROM marts.dim_fx_rates_daily
 WHERE currency <> 'ZAR'`,
		key: ['currency_pair', 'date'],
		// Signed off: an exchange rate with 6 decimals looks like a GPS degree to the content check; no person behind it.
		piiAllowColumns: ['rate_close'],
	}),
];

export function readyTarget(name: string): ReadyTarget {
	const t = READY_TARGETS.find((r) => r.config.name === name);
	if (!t) throw new Error(`unknown ready-made target "${name}" — one of: ${READY_TARGETS.map((r) => r.config.name).join(', ')}`);
	return t;
}
