import type { TemporalFamily } from './config.schema';
import { asTimestamptz, ident, literal, type RelationColumns } from './relation';
import { outputColumns, readsOf, type EnrichStage } from './stage';

/**
 * §7.2 in SQL. The local time is the row's instant in its zone (row zone column, else the configured zone).
 * local_date is that local calendar day: the day marts group by (revenue per day), so no mart re-derives it.
 *
 * is_payday_week: the local date is one of the last 7 days of its month or one of the first 5 days of a month
 * (SA salaries land around the 25th; spending stays high into the next month's first days). For January that is
 * Jan 25–31 plus Feb 1–5; for February 2026 it is Feb 22–28 plus Mar 1–5.
 *
 * season: meteorological seasons (whole months). South: Dec–Feb summer, Mar–May autumn, Jun–Aug winter,
 * Sep–Nov spring; north is the opposite. A row's latitude (< 0 south, >= 0 north) overrides the default.
 *
 * is_public_holiday: marts.dim_holidays has a 'public' holiday for the row's country on the local date
 * (substitute days included, e.g. a Sunday holiday observed on Monday in ZA).
 */
export function temporalStage(cfg: TemporalFamily): EnrichStage {
	return {
		family: 'temporal',
		columns: outputColumns({
			local_date: 'date',
			day_of_week: 'text',
			hour_of_day: 'integer',
			is_weekend: 'boolean',
			is_public_holiday: 'boolean',
			is_payday_week: 'boolean',
			season: 'text',
		}),
		reads: readsOf('temporal', cfg, ['timestampColumn', 'timeZoneColumn', 'countryColumn', 'latitudeColumn']),
		select(input: string, cols: RelationColumns): string {
			const ts = asTimestamptz(`i.${ident(cfg.timestampColumn)}`, cols.types.get(cfg.timestampColumn));
			const zone = cfg.timeZoneColumn ? `coalesce(nullif(i.${ident(cfg.timeZoneColumn)}, ''), ${literal(cfg.timeZone)})` : literal(cfg.timeZone);
			const country = cfg.countryColumn ? `coalesce(upper(nullif(i.${ident(cfg.countryColumn)}, '')), ${literal(cfg.country)})` : literal(cfg.country);
			const hemisphere = cfg.latitudeColumn
				? `CASE WHEN i.${ident(cfg.latitudeColumn)} < 0 THEN 'south' WHEN i.${ident(cfg.latitudeColumn)} >= 0 THEN 'north' ELSE ${literal(cfg.hemisphere)} END`
				: literal(cfg.hemisphere);
			return `
SELECT i.*,
       l.local_ts::date AS local_date,
       to_char(l.local_ts, 'Dy') AS day_of_week,
       extract(hour FROM l.local_ts)::integer AS hour_of_day,
       extract(isodow FROM l.local_ts) IN (6, 7) AS is_weekend,
       CASE WHEN l.local_ts IS NULL THEN NULL ELSE h.holiday_date IS NOT NULL END AS is_public_holiday,
       (l.local_ts::date >= (date_trunc('month', l.local_ts) + interval '1 month' - interval '7 days')::date
        OR extract(day FROM l.local_ts) <= 5) AS is_payday_week,
       CASE
         WHEN l.local_ts IS NULL THEN NULL
         WHEN l.hemisphere = 'south' THEN (ARRAY['summer','summer','autumn','autumn','autumn','winter','winter','winter','spring','spring','spring','summer'])[extract(month FROM l.local_ts)::integer]
         ELSE (ARRAY['winter','winter','spring','spring','spring','summer','summer','summer','autumn','autumn','autumn','winter'])[extract(month FROM l.local_ts)::integer]
       END AS season
  FROM ${input} i
 CROSS JOIN LATERAL (SELECT ${ts} AT TIME ZONE ${zone} AS local_ts, ${country} AS country, ${hemisphere} AS hemisphere) l
  LEFT JOIN (SELECT DISTINCT country_code, holiday_date FROM marts.dim_holidays WHERE holiday_type = 'public') h
         ON h.country_code = l.country AND h.holiday_date = l.local_ts::date`;
		},
	};
}
