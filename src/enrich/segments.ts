import type { SegmentsFamily } from './config.schema';
import { asTimestamptz, describeRelation, ident, literal, qualified, requireColumn, type RelationColumns } from './relation';
import type pg from 'pg';
import { outputColumns, readsOf, type EnrichStage } from './stage';

/**
 * §7.4, per user_hash as of `asOf` (default now()), joined onto every row of the user. Only activity at or before
 * asOf counts; "the last 30 days" is the half-open window (asOf - 30 days, asOf].
 *
 * lifecycle_stage, first match wins:
 *   churned  — last activity at or before asOf - 90 days (no activity in 90 days)
 *   dormant  — last activity at or before asOf - 30 days (no activity in 30 days)
 *   new      — first activity after asOf - 7 days (tenure under 7 days)
 *   active   — first activity between asOf - 90 days and asOf - 7 days, both included (tenure 7–90 days)
 *   engaged  — first activity before asOf - 90 days and active in the last 30 days
 * Users with no activity at all get NULL.
 *
 * kyc_tier: the highest tier in the KYC relation (verified > basic > anything else); users without a KYC row are
 * 'no-kyc'. Without a KYC relation the column is NULL (unknown, not no-kyc).
 *
 * revenue_band_zar_30d: 'none' for users with no positive revenue in the window; paying users are ranked by
 * cume_dist() of their 30-day revenue: up to lowMaxPercentile 'low', up to midMaxPercentile 'mid', above 'high'.
 */
export function segmentsStage(cfg: SegmentsFamily): EnrichStage {
	let activityTsType: string | undefined;
	return {
		family: 'segments',
		columns: outputColumns({ kyc_tier: 'text', lifecycle_stage: 'text', apps_used_30d: 'textArray', revenue_band_zar_30d: 'text' }),
		reads: readsOf('segments', cfg, ['userColumn']),
		async prepare(client: pg.ClientBase, _input: string, cols: RelationColumns) {
			const activity = cfg.activityRelation ? await describeRelation(client, cfg.activityRelation) : cols;
			requireColumn(activity, cfg.userColumn, 'segments.userColumn');
			requireColumn(activity, cfg.activityTimestampColumn, 'segments.activityTimestampColumn');
			requireColumn(activity, cfg.activityAppColumn, 'segments.activityAppColumn');
			requireColumn(activity, cfg.revenueColumn, 'segments.revenueColumn');
			activityTsType = activity.types.get(cfg.activityTimestampColumn);
			if (cfg.kycRelation) {
				const kyc = await describeRelation(client, cfg.kycRelation);
				requireColumn(kyc, cfg.kycUserColumn, 'segments.kycUserColumn');
				requireColumn(kyc, cfg.kycTierColumn, 'segments.kycTierColumn');
			}
		},
		select(input: string, cols: RelationColumns): string {
			const activity = cfg.activityRelation ? qualified(cfg.activityRelation) : input;
			const asOf = cfg.asOf ? `${literal(cfg.asOf)}::timestamptz` : 'now()';
			const tsType = cfg.activityRelation ? activityTsType : cols.types.get(cfg.activityTimestampColumn);
			const t = asTimestamptz(`a.${ident(cfg.activityTimestampColumn)}`, tsType);
			const app = cfg.activityAppColumn ? `a.${ident(cfg.activityAppColumn)}::text` : 'NULL::text';
			const revenue = cfg.revenueColumn ? `a.${ident(cfg.revenueColumn)}::numeric` : '0::numeric';
			const kyc = cfg.kycRelation
				? `LEFT JOIN (
      SELECT DISTINCT ON (k.${ident(cfg.kycUserColumn)}) k.${ident(cfg.kycUserColumn)}::text AS u, k.${ident(cfg.kycTierColumn)}::text AS tier
        FROM ${qualified(cfg.kycRelation)} k
       ORDER BY k.${ident(cfg.kycUserColumn)}, CASE k.${ident(cfg.kycTierColumn)}::text WHEN 'verified' THEN 2 WHEN 'basic' THEN 1 ELSE 0 END DESC
    ) k ON k.u = i.${ident(cfg.userColumn)}::text`
				: '';
			const kycTier = cfg.kycRelation ? `CASE WHEN i.${ident(cfg.userColumn)} IS NULL THEN NULL ELSE coalesce(k.tier, 'no-kyc') END` : 'NULL::text';
			return `
WITH per_user AS (
  SELECT a.${ident(cfg.userColumn)}::text AS u,
         min(${t}) AS first_seen,
         max(${t}) AS last_seen,
         array_agg(DISTINCT ${app} ORDER BY ${app}) FILTER (WHERE ${t} > ${asOf} - interval '30 days' AND ${app} IS NOT NULL) AS apps,
         coalesce(sum(${revenue}) FILTER (WHERE ${t} > ${asOf} - interval '30 days'), 0) AS revenue_30d
    FROM ${activity} a
   WHERE ${t} <= ${asOf} AND a.${ident(cfg.userColumn)} IS NOT NULL
   GROUP BY 1
),
seg AS MATERIALIZED (
  SELECT p.u,
         CASE WHEN p.last_seen <= ${asOf} - interval '90 days' THEN 'churned'
              WHEN p.last_seen <= ${asOf} - interval '30 days' THEN 'dormant'
              WHEN p.first_seen > ${asOf} - interval '7 days' THEN 'new'
              WHEN p.first_seen >= ${asOf} - interval '90 days' THEN 'active'
              ELSE 'engaged' END AS lifecycle_stage,
         coalesce(p.apps, '{}') AS apps_used_30d,
         CASE WHEN p.revenue_30d <= 0 THEN 'none'
              WHEN p.pct <= ${Number(cfg.lowMaxPercentile)} THEN 'low'
              WHEN p.pct <= ${Number(cfg.midMaxPercentile)} THEN 'mid'
              ELSE 'high' END AS revenue_band_zar_30d
    FROM (SELECT per_user.*, cume_dist() OVER (PARTITION BY revenue_30d > 0 ORDER BY revenue_30d) AS pct FROM per_user) p
)
SELECT i.*,
       ${kycTier} AS kyc_tier,
       s.lifecycle_stage,
       CASE WHEN i.${ident(cfg.userColumn)} IS NULL THEN NULL ELSE coalesce(s.apps_used_30d, '{}') END AS apps_used_30d,
       CASE WHEN i.${ident(cfg.userColumn)} IS NULL THEN NULL ELSE coalesce(s.revenue_band_zar_30d, 'none') END AS revenue_band_zar_30d
  FROM ${input} i
  LEFT JOIN seg s ON s.u = i.${ident(cfg.userColumn)}::text
  ${kyc}`;
		},
	};
}
