import type { SessionsFamily } from './config.schema';
import { asTimestamptz, ident, literal, type RelationColumns } from './relation';
import { readsOf, type EnrichStage, type OutputColumn } from './stage';

/**
 * §7.5. Events of one user_hash, across all apps, ordered by time: an event more than gapMinutes after the
 * previous one starts a new session; a gap of exactly gapMinutes stays in the session ("within 30 min, same
 * session"). cross_app_session_id is md5(user || session start in UTC) as a uuid: stable across re-runs as long as
 * the user's earlier events do not change.
 *
 * funnel_position: the number of funnel steps the user has completed in order, up to and including this event,
 * within the session (or across all the user's events with scope 'user'). A step counts only directly after the
 * previous step was reached, so out-of-order events never advance it, and it never goes back (0 = not started).
 * Events at the same instant are taken in funnel-step order.
 *
 * attribution_chain (design doc §7.5, "for revenue events, the prior 24h of touchpoints across all apps"): on events
 * whose revenue column is > 0, a JSON array of the same user's events in the windowHours strictly before it, oldest
 * first, as {app, event, at}; events at the same instant are not "prior" and are left out. NULL on other events.
 */
export function sessionsStage(cfg: SessionsFamily): EnrichStage {
	const columns: OutputColumn[] = [{ name: 'cross_app_session_id', kind: 'text' }];
	if (cfg.funnel) columns.push({ name: 'funnel_position', kind: 'integer' });
	if (cfg.attribution) columns.push({ name: 'attribution_chain', kind: 'json' });
	return {
		family: 'sessions',
		columns,
		reads: [
			...readsOf('sessions', cfg, ['userColumn', 'timestampColumn', 'appColumn', 'eventColumn']),
			{ column: cfg.attribution?.revenueColumn, field: 'sessions.attribution.revenueColumn' },
		],
		select(input: string, cols: RelationColumns): string {
			const t = asTimestamptz(`i.${ident(cfg.timestampColumn)}`, cols.types.get(cfg.timestampColumn));
			const u = `i.${ident(cfg.userColumn)}::text`;
			const app = `i.${ident(cfg.appColumn)}::text`;
			const event = cfg.eventColumn ? `i.${ident(cfg.eventColumn)}::text` : 'NULL';
			const step = cfg.funnel
				? `CASE ${cfg.funnel.steps
						.map((s, n) => `WHEN ${app} = ${literal(s.app)}${s.event !== undefined ? ` AND ${event} = ${literal(s.event)}` : ''} THEN ${n + 1}`)
						.join(' ')} END`
				: 'NULL::integer';
			const gap = `make_interval(secs => ${Number(cfg.gapMinutes) * 60})`;
			const order = 'ORDER BY o.t, o.step NULLS LAST';
			const funnelPartition = cfg.funnel?.scope === 'user' ? 'b.u' : 'b.u, b.start';
			const funnel = cfg.funnel
				? `,
       CASE WHEN b.u IS NULL OR b.t IS NULL THEN NULL
            ELSE dwh_enrich.funnel_position(b.step) OVER (PARTITION BY ${funnelPartition} ORDER BY b.t, b.step NULLS LAST ROWS UNBOUNDED PRECEDING) END AS funnel_position`
				: '';
			const revenue = cfg.attribution ? `(i.${ident(cfg.attribution.revenueColumn)})::numeric > 0` : 'false';
			const attribution = cfg.attribution
				? `,
       CASE WHEN b.revenue AND b.u IS NOT NULL AND b.t IS NOT NULL
            THEN coalesce(jsonb_agg(jsonb_build_object('app', b.app, 'event', b.event, 'at', b.t)) OVER (
                   PARTITION BY b.u ORDER BY b.t
                   RANGE BETWEEN make_interval(secs => ${
											Number(cfg.attribution.windowHours) * 3600
										}) PRECEDING AND CURRENT ROW EXCLUDE GROUP), '[]'::jsonb) END AS attribution_chain`
				: '';
			return `
WITH o AS (
  SELECT i AS r, ${u} AS u, ${t} AS t, ${step} AS step, ${app} AS app, ${event} AS event, coalesce(${revenue}, false) AS revenue FROM ${input} i
),
g AS (
  SELECT o.*, lag(o.t) OVER (PARTITION BY o.u ${order}) AS prev FROM o
),
b AS (
  SELECT g.r, g.u, g.t, g.step, g.app, g.event, g.revenue,
         max(CASE WHEN g.prev IS NULL OR g.t - g.prev > ${gap} THEN g.t END)
           OVER (PARTITION BY g.u ORDER BY g.t, g.step NULLS LAST ROWS UNBOUNDED PRECEDING) AS start
    FROM g
)
SELECT (b.r).*,
       CASE WHEN b.u IS NULL OR b.t IS NULL THEN NULL
            ELSE md5(b.u || '|' || to_char(b.start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'))::uuid::text END AS cross_app_session_id${funnel}${attribution}
  FROM b`;
		},
	};
}
