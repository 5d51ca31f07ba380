import type pg from 'pg';
import { z } from 'zod';
import { fxIngestSchema, type FxIngestConfig, type FxIngestInput } from './config.schema';
import { parseConfig } from './parseConfig';
import { displayUrl } from '../privacy/redactUserinfo';
import { globalFetch, type FetchLike, type FetchLikeResponse } from '../transport/fetchLike';

const positiveRate = z.number().positive().finite();

/**
 * Both answers exchangerate.host has given for a date range: the classic timeseries
 * ({ base, rates: { '2026-01-02': { USD: 0.054 } } }) and the apilayer timeframe ({ source, quotes: { day: { ZARUSD } } }).
 */
const timeseriesSchema = z.union([
	z.object({ base: z.string().optional(), rates: z.record(z.string(), z.record(z.string(), positiveRate)) }),
	z.object({ source: z.string().optional(), quotes: z.record(z.string(), z.record(z.string(), positiveRate)) }),
]);

const errorBodySchema = z.object({
	success: z.literal(false),
	error: z.union([z.string(), z.object({ type: z.string().optional(), info: z.string().optional(), code: z.number().optional() })]).optional(),
});

export class FxSourceError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'FxSourceError';
	}
}

export interface FxRateRow {
	currency: string;
	rate_date: string;
	units_per_zar: number;
}

/** Turns one answer into units of each currency per ZAR, whatever base the server chose to answer in. */
export function normaliseToZar(body: unknown, currencies: string[], where: string): FxRateRow[] {
	const parsed = timeseriesSchema.safeParse(body);
	if (!parsed.success) {
		throw new FxSourceError(
			`${where} answered an unexpected body: ${parsed.error.issues
				.slice(0, 3)
				.map((i) => `${i.path.join('.')}: ${i.message}`)
				.join('; ')}`,
		);
	}
	const data = parsed.data;
	const base = ('rates' in data ? data.base : data.source)?.toUpperCase() ?? 'ZAR';
	const days = 'rates' in data ? data.rates : data.quotes;
	const out: FxRateRow[] = [];
	for (const [day, quotes] of Object.entries(days)) {
		if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) throw new FxSourceError(`${where} answered a rate for "${day}", which is not a YYYY-MM-DD date`);
		const rate = (c: string): number | undefined => ('rates' in data ? quotes[c] : quotes[`${base}${c}`]);
		// units of c per 1 base; per ZAR that is rate(c) / rate(ZAR), and ZAR itself when base is ZAR.
		const zarPerBase = base === 'ZAR' ? 1 : rate('ZAR');
		if (zarPerBase === undefined) continue;
		for (const c of currencies) {
			if (c === 'ZAR') continue;
			const r = c === base ? 1 : rate(c);
			if (r !== undefined) out.push({ currency: c, rate_date: day, units_per_zar: r / zarPerBase });
		}
	}
	return out;
}

function* chunks(from: string, to: string, days: number): Generator<[string, string]> {
	const day = 86_400_000;
	let start = Date.parse(`${from}T00:00:00Z`);
	const end = Date.parse(`${to}T00:00:00Z`);
	while (start <= end) {
		const stop = Math.min(end, start + (days - 1) * day);
		yield [new Date(start).toISOString().slice(0, 10), new Date(stop).toISOString().slice(0, 10)];
		start = stop + day;
	}
}

async function fetchRange(cfg: FxIngestConfig, from: string, to: string, fetchImpl: FetchLike): Promise<FxRateRow[]> {
	const url = new URL('timeseries', cfg.baseUrl.endsWith('/') ? cfg.baseUrl : `${cfg.baseUrl}/`);
	url.searchParams.set('start_date', from);
	url.searchParams.set('end_date', to);
	url.searchParams.set('base', 'ZAR');
	url.searchParams.set('symbols', ['ZAR', ...cfg.currencies].join(','));
	if (cfg.accessKey) url.searchParams.set('access_key', cfg.accessKey);
	// The access key is a query parameter in this API family: displayUrl masks it (and any userinfo).
	const where = `FX source ${displayUrl(url)}`;
	let res: FetchLikeResponse;
	try {
		res = await fetchImpl(url.toString(), { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(cfg.timeoutMs) });
	} catch (err) {
		throw new FxSourceError(`${where} did not answer: ${(err as Error).message} — check baseUrl`);
	}
	const body = (await res.json().catch(() => undefined)) as unknown;
	const failed = errorBodySchema.safeParse(body);
	if (!res.ok || failed.success) {
		const e = failed.success ? failed.data.error : undefined;
		const info = typeof e === 'string' ? e : e?.info ?? e?.type ?? '';
		throw new FxSourceError(
			`${where} answered HTTP ${res.status}${info ? `: ${info}` : ''}${res.status === 401 || res.status === 403 ? ' — check the access key' : ''}`,
		);
	}
	return normaliseToZar(body, cfg.currencies, where);
}

export interface FxIngestReport {
	from: string;
	to: string;
	requests: number;
	rates: number;
	inserted: number;
	updated: number;
	unchanged: number;
	source: string;
}

/**
 * Ingest FX Rates: fetches [from, to] in chunks and upserts marts.dim_fx_rates_daily on (currency, rate_date).
 * Re-running the same range changes nothing (unchanged rates are not rewritten); a corrected rate replaces the old.
 */
export async function ingestFxRates(pool: pg.Pool, input: FxIngestInput, fetchImpl: FetchLike = globalFetch): Promise<FxIngestReport> {
	const cfg = parseConfig(fxIngestSchema, input, 'Ingest FX Rates config');
	const source = new URL(cfg.baseUrl).host;
	const report: FxIngestReport = { from: cfg.from, to: cfg.to, requests: 0, rates: 0, inserted: 0, updated: 0, unchanged: 0, source };
	for (const [from, to] of chunks(cfg.from, cfg.to, cfg.chunkDays)) {
		const rows = (await fetchRange(cfg, from, to, fetchImpl)).filter((r) => r.rate_date >= cfg.from && r.rate_date <= cfg.to);
		report.requests++;
		report.rates += rows.length;
		if (rows.length === 0) continue;
		const { rows: result } = await pool.query<{ inserted: boolean }>(
			`INSERT INTO marts.dim_fx_rates_daily AS f (currency, rate_date, units_per_zar, source)
			 SELECT c, d, u, $4 FROM unnest($1::text[], $2::date[], $3::numeric[]) AS t(c, d, u)
			 ON CONFLICT (currency, rate_date) DO UPDATE
			   SET units_per_zar = EXCLUDED.units_per_zar, source = EXCLUDED.source, fetched_at = now()
			 WHERE f.units_per_zar IS DISTINCT FROM EXCLUDED.units_per_zar
			 RETURNING (xmax = 0) AS inserted`,
			[rows.map((r) => r.currency), rows.map((r) => r.rate_date), rows.map((r) => String(r.units_per_zar)), source],
		);
		const inserted = result.filter((r) => r.inserted).length;
		report.inserted += inserted;
		report.updated += result.length - inserted;
		report.unchanged += rows.length - result.length;
	}
	return report;
}
