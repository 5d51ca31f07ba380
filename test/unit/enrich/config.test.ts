import { enrichRelationSchema, fxIngestSchema, placesLoadSchema } from '../../../src/enrich/config.schema';
import { parseConfig } from '../../../src/enrich/parseConfig';

const messages = (input: unknown) => {
	try {
		parseConfig(enrichRelationSchema, input, 'Enrich Relation config');
		return [];
	} catch (err) {
		return (err as { issues: string[] }).issues;
	}
};

test('defaults: Johannesburg time, ZA holidays, southern hemisphere, ZAR, 30-minute sessions, 50k population centres', () => {
	const cfg = enrichRelationSchema.parse({
		source: 'intermediate.events',
		target: 'intermediate.enr_events_enriched',
		families: {
			temporal: { timestampColumn: 'event_time' },
			fx: { amountColumn: 'amount', timestampColumn: 'event_time' },
			geo: { latitudeColumn: 'gps_lat', longitudeColumn: 'gps_lng' },
			sessions: { timestampColumn: 'event_time', appColumn: 'app' },
		},
	});
	expect(cfg.families.temporal).toMatchObject({ timeZone: 'Africa/Johannesburg', country: 'ZA', hemisphere: 'south' });
	expect(cfg.families.fx).toMatchObject({ currency: 'ZAR', timeZone: 'Africa/Johannesburg' });
	expect(cfg.families.geo).toMatchObject({ backend: 'places', populationCentreMin: 50_000, urbanRadiusKm: 25 });
	expect(cfg.families.sessions).toMatchObject({ userColumn: 'user_hash', gapMinutes: 30 });
});

test('every problem is reported with the field that has it', () => {
	expect(
		messages({
			source: 'events',
			target: 'intermediate.enr_x;drop',
			families: {
				fx: { amountColumn: 'Amount', timestampColumn: 'ts', currency: 'RANDS' },
				geo: { latitudeColumn: 'lat', longitudeColumn: 'lng', backend: 'service' },
				sessions: { timestampColumn: 'ts', appColumn: 'app', funnel: { steps: [{ app: 'tagme', event: 'checkin' }, { app: 'sdpkt' }] } },
			},
		}),
	).toEqual([
		'source must be schema.table in lower-case SQL identifiers, e.g. intermediate.ledger_transactions',
		'target must be schema.table in lower-case SQL identifiers, e.g. intermediate.ledger_transactions',
		'families.fx.amountColumn: fx.amountColumn must be a lower-case SQL identifier (letters, digits, underscore; max 63 chars, not starting with a digit)',
		'families.fx.currency: fx.currency must be a three-letter currency code such as ZAR',
		'families.geo.service: geo.service (baseUrl) is required when geo.backend is service',
		'families.sessions.eventColumn: sessions.eventColumn is required when a funnel step names an event',
	]);
	expect(messages({ source: 'intermediate.a', target: 'intermediate.enr_c', families: {} })).toEqual([
		'families: choose at least one enrichment family (temporal, fx, geo, sessions, segments)',
	]);
	expect(messages({ source: 'intermediate.enr_b', target: 'intermediate.enr_b', families: { temporal: { timestampColumn: 't' } } })).toEqual([
		'target must differ from source (the enriched relation is a new relation)',
	]);
	expect(
		messages({
			source: 'intermediate.a',
			target: 'intermediate.enr_c',
			families: { segments: { activityTimestampColumn: 't', lowMaxPercentile: 0.9, midMaxPercentile: 0.5, asOf: 'last tuesday' } },
		}),
	).toEqual([
		'families.segments.asOf: segments.asOf must be an ISO-8601 timestamp such as 2026-06-30T22:00:00Z',
		'families.segments.midMaxPercentile: segments.midMaxPercentile must be greater than segments.lowMaxPercentile',
	]);
});

test('FX ingest and places configs name their fields', () => {
	expect(fxIngestSchema.safeParse({ baseUrl: 'http://127.0.0.1:1', from: '2026-02-01', to: '2026-01-01' }).error?.issues.map((i) => i.message)).toEqual([
		'to must be on or after from',
	]);
	expect(fxIngestSchema.parse({ baseUrl: 'http://127.0.0.1:1', from: '2026-01-01', to: '2026-01-01' }).currencies).toEqual(['USD', 'EUR', 'GBP', 'BTC']);
	expect(placesLoadSchema.safeParse({ source: 'file' }).error?.issues.map((i) => i.message)).toEqual([
		'citiesFile (path to a GeoNames cities*.txt) is required when source is file',
	]);
});
