import type pg from 'pg';
import { z } from 'zod';
import { globalFetch, type FetchLike, type FetchLikeResponse } from '../transport/fetchLike';
import type { GeoServiceConfig } from './config.schema';

/** What the geo service (design's geo_mcp.reverse_geocode) answers for one point. Unknown fields are ignored. */
export const reverseGeocodeAnswerSchema = z.object({
	city: z.string().nullable().default(null),
	admin1: z.string().nullable().default(null),
	admin2: z.string().nullable().default(null),
	country: z.string().nullable().default(null),
});
export type ReverseGeocodeAnswer = z.output<typeof reverseGeocodeAnswerSchema>;

export class GeoServiceError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'GeoServiceError';
	}
}

/** GET {baseUrl}/reverse_geocode?lat=..&lng=.. — the key travels in a header, never in the URL (URLs end up in logs). */
export async function reverseGeocode(cfg: GeoServiceConfig, lat: number, lng: number, fetchImpl: FetchLike = globalFetch): Promise<ReverseGeocodeAnswer> {
	const url = new URL('reverse_geocode', cfg.baseUrl.endsWith('/') ? cfg.baseUrl : `${cfg.baseUrl}/`);
	url.searchParams.set('lat', String(lat));
	url.searchParams.set('lng', String(lng));
	const headers: Record<string, string> = { accept: 'application/json' };
	if (cfg.apiKey) headers.authorization = `Bearer ${cfg.apiKey}`;
	let res: FetchLikeResponse;
	try {
		res = await fetchImpl(url.toString(), { headers, signal: AbortSignal.timeout(cfg.timeoutMs) });
	} catch (err) {
		throw new GeoServiceError(`Geo service ${url.origin} did not answer for (${lat}, ${lng}): ${(err as Error).message} — check geo.service.baseUrl`);
	}
	if (!res.ok) {
		throw new GeoServiceError(
			`Geo service ${url.origin} answered HTTP ${res.status} for (${lat}, ${lng})${res.status === 401 || res.status === 403 ? ' — check the API key' : ''}`,
		);
	}
	const parsed = reverseGeocodeAnswerSchema.safeParse(await res.json().catch(() => undefined));
	if (!parsed.success) {
		throw new GeoServiceError(
			`Geo service ${url.origin} answered an unexpected body for (${lat}, ${lng}): ${parsed.error.issues
				.map((i) => `${i.path.join('.')}: ${i.message}`)
				.join('; ')}`,
		);
	}
	return parsed.data;
}

/**
 * Asks the service about each point with at most `concurrency` requests in flight and upserts every answer into
 * dwh_enrich.geo_service_cache. A failure stops the fill after the answers already stored (they stay cached).
 */
export async function fillGeoServiceCache(
	client: pg.ClientBase,
	cfg: GeoServiceConfig,
	points: Array<{ lat: number; lng: number }>,
	fetchImpl?: FetchLike,
): Promise<{ fetched: number }> {
	let next = 0;
	let fetched = 0;
	const worker = async () => {
		while (next < points.length) {
			const p = points[next++];
			const a = await reverseGeocode(cfg, p.lat, p.lng, fetchImpl);
			await client.query(
				`INSERT INTO dwh_enrich.geo_service_cache (lat, lng, city, admin1, admin2, country, fetched_at)
				 VALUES ($1, $2, $3, $4, $5, $6, now())
				 ON CONFLICT (lat, lng) DO UPDATE SET city = EXCLUDED.city, admin1 = EXCLUDED.admin1, admin2 = EXCLUDED.admin2,
				   country = EXCLUDED.country, fetched_at = EXCLUDED.fetched_at`,
				[p.lat, p.lng, a.city, a.admin1, a.admin2, a.country],
			);
			fetched++;
		}
	};
	await Promise.all(Array.from({ length: Math.min(cfg.concurrency, points.length) }, worker));
	return { fetched };
}
