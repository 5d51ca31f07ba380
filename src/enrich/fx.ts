import type { FxFamily } from './config.schema';
import { asTimestamptz, ident, literal, type RelationColumns } from './relation';
import { outputColumns, readsOf, type EnrichStage } from './stage';

/**
 * §7.3 in SQL. Each (local day, currency) pair is looked up once — not once per row — taking the rate of that day
 * or else the latest earlier one (PRIMARY KEY (currency, rate_date) makes that an index probe). Amounts convert into
 * ZAR with the row currency's rate, then out of ZAR into USD and BTC. ZAR needs no rate.
 *
 * fx_rate_date is the oldest rate date used for the row (older than the row's day means a fallback happened);
 * fx_rate_missing is true when any of the needed rates has no row on or before the day, and then the amounts that
 * needed it are NULL.
 *
 * A relation whose amount column is already amount_zar (SA ledgers are ZAR-native, §7.3) keeps that column as it
 * is and gets only the USD / BTC amounts.
 */
export function fxStage(cfg: FxFamily): EnrichStage {
	const native = cfg.amountColumn === 'amount_zar';
	return {
		family: 'fx',
		columns: outputColumns({
			...(native ? {} : { amount_zar: 'number' }),
			amount_usd: 'number',
			amount_btc_sats: 'integer',
			fx_rate_date: 'text',
			fx_rate_missing: 'boolean',
		}),
		reads: readsOf('fx', cfg, ['amountColumn', 'timestampColumn', 'currencyColumn']),
		select(input: string, cols: RelationColumns): string {
			const day = `(${asTimestamptz(`i.${ident(cfg.timestampColumn)}`, cols.types.get(cfg.timestampColumn))} AT TIME ZONE ${literal(cfg.timeZone)})::date`;
			const ccy = cfg.currencyColumn
				? `coalesce(upper(nullif(btrim(i.${ident(cfg.currencyColumn)}::text), '')), ${literal(cfg.currency)})`
				: literal(cfg.currency);
			const amount = `(i.${ident(cfg.amountColumn)})::numeric`;
			return `
WITH days AS (
  SELECT DISTINCT ${day} AS d, ${ccy} AS c FROM ${input} i
),
pairs AS (
  SELECT d, c FROM days WHERE d IS NOT NULL
  UNION SELECT d, 'USD' FROM days WHERE d IS NOT NULL
  UNION SELECT d, 'BTC' FROM days WHERE d IS NOT NULL
),
rates AS MATERIALIZED (
  SELECT p.d, p.c,
         CASE WHEN p.c = 'ZAR' THEN 1::numeric ELSE r.units_per_zar END AS u,
         CASE WHEN p.c = 'ZAR' THEN p.d ELSE r.rate_date END AS rate_date
    FROM pairs p
    LEFT JOIN LATERAL (
      SELECT f.units_per_zar, f.rate_date FROM marts.dim_fx_rates_daily f
       WHERE f.currency = p.c AND f.rate_date <= p.d
       ORDER BY f.rate_date DESC LIMIT 1
    ) r ON p.c <> 'ZAR'
)
SELECT i.*,${
				native
					? ''
					: `
       round(x.zar, 2) AS amount_zar,`
			}
       round(x.zar * usd.u, 2) AS amount_usd,
       round(x.zar * btc.u * 100000000)::bigint AS amount_btc_sats,
       CASE WHEN ${amount} IS NULL THEN NULL ELSE least(src.rate_date, usd.rate_date, btc.rate_date)::text END AS fx_rate_date,
       CASE WHEN ${amount} IS NULL THEN NULL ELSE (src.u IS NULL OR usd.u IS NULL OR btc.u IS NULL) END AS fx_rate_missing
  FROM ${input} i
  LEFT JOIN rates src ON src.d = ${day} AND src.c = ${ccy}
  LEFT JOIN rates usd ON usd.d = ${day} AND usd.c = 'USD'
  LEFT JOIN rates btc ON btc.d = ${day} AND btc.c = 'BTC'
 CROSS JOIN LATERAL (SELECT ${amount} / src.u AS zar) x`;
		},
	};
}
