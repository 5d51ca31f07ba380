import type { FamiliesInput } from '../../src/enrich/config.schema';

export const FAMILIES = ['temporal', 'fx', 'geo', 'sessions', 'segments'] as const;
export type FamilyName = (typeof FAMILIES)[number];

/** The node's family parameters as n8n hands them over (numbers may arrive as strings from expressions). */
export interface FamilyParameters {
	families: FamilyName[];
	timestampColumn?: string;
	timeZone?: string;
	userColumn?: string;
	appColumn?: string;
	latitudeColumn?: string;
	longitudeColumn?: string;
	country?: string;
	amountColumn?: string;
	currencyColumn?: string;
	currency?: string;
	geoBackend?: 'places' | 'service';
	geoServiceUrl?: string;
	populationCentreMin?: number | string;
	urbanRadiusKm?: number | string;
	eventColumn?: string;
	gapMinutes?: number | string;
	funnelSteps?: string;
	funnelScope?: 'session' | 'user';
	attributionRevenueColumn?: string;
	attributionWindowHours?: number | string;
	asOf?: string;
	activityRelation?: string;
	revenueColumn?: string;
	kycRelation?: string;
	kycTierColumn?: string;
}

const blank = (s: string | undefined) => (s && String(s).trim() ? String(s).trim() : undefined);
const num = (v: number | string | undefined) => (v === undefined || v === '' ? undefined : v);

/** 'tagme:checkin, bidbaas:bid, sdpkt' -> steps; a step without ':event' matches any event of that app. */
export function parseFunnelSteps(text: string): Array<{ app: string; event?: string }> {
	return text
		.split(/[,\n]/)
		.map((s) => s.trim())
		.filter(Boolean)
		.map((s) => {
			const [app, event] = s.split(':').map((x) => x.trim());
			return event ? { app, event } : { app };
		});
}

/**
 * Maps the node's parameters onto the families config; the core's zod schema validates it and its messages name
 * the family field (temporal.timestampColumn, fx.amountColumn, ...), which the parameter labels mirror.
 */
/** Keys from the optional DataAcuity Enrichment APIs credential (never node parameters). */
export interface EnrichmentApiKeys {
	fxAccessKey?: string;
	geoServiceApiKey?: string;
}

export function familiesFromParameters(p: FamilyParameters, keys: EnrichmentApiKeys = {}): FamiliesInput {
	const on = new Set(p.families);
	const f: FamiliesInput = {};
	const ts = blank(p.timestampColumn) as string;
	const tz = blank(p.timeZone);
	const lat = blank(p.latitudeColumn);
	if (on.has('temporal')) {
		f.temporal = { timestampColumn: ts, timeZone: tz, country: blank(p.country), latitudeColumn: on.has('geo') ? lat : undefined };
	}
	if (on.has('fx')) {
		f.fx = {
			timestampColumn: ts,
			timeZone: tz,
			amountColumn: blank(p.amountColumn) as string,
			currencyColumn: blank(p.currencyColumn),
			currency: blank(p.currency),
		};
	}
	if (on.has('geo')) {
		const backend = p.geoBackend ?? 'places';
		f.geo = {
			latitudeColumn: lat as string,
			longitudeColumn: blank(p.longitudeColumn) as string,
			backend,
			populationCentreMin: num(p.populationCentreMin) as number | undefined,
			urbanRadiusKm: num(p.urbanRadiusKm) as number | undefined,
			service: backend === 'service' ? { baseUrl: blank(p.geoServiceUrl) as string, apiKey: keys.geoServiceApiKey ?? '' } : undefined,
		};
	}
	if (on.has('sessions')) {
		const steps = parseFunnelSteps(p.funnelSteps ?? '');
		f.sessions = {
			userColumn: blank(p.userColumn),
			timestampColumn: ts,
			appColumn: blank(p.appColumn) as string,
			eventColumn: blank(p.eventColumn),
			gapMinutes: num(p.gapMinutes) as number | undefined,
			funnel: steps.length > 0 ? { steps, scope: p.funnelScope ?? 'session' } : undefined,
			attribution: blank(p.attributionRevenueColumn)
				? { revenueColumn: blank(p.attributionRevenueColumn) as string, windowHours: num(p.attributionWindowHours) as number | undefined }
				: undefined,
		};
	}
	if (on.has('segments')) {
		f.segments = {
			userColumn: blank(p.userColumn),
			asOf: blank(p.asOf),
			activityRelation: blank(p.activityRelation),
			activityTimestampColumn: ts,
			activityAppColumn: blank(p.appColumn),
			revenueColumn: blank(p.revenueColumn),
			kycRelation: blank(p.kycRelation),
			kycTierColumn: blank(p.kycTierColumn),
		};
	}
	return f;
}
