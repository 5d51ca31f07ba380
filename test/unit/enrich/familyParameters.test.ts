import { enrichRelationSchema } from '../../../src/enrich/config.schema';
import { familiesFromParameters, parseFunnelSteps, type FamilyParameters } from '../../../nodes/Enrich/familyParameters';

test('funnel steps: app:event pairs, and an app alone matches any of its events', () => {
	expect(parseFunnelSteps('tagme:checkin, bidbaas:bid,\nsdpkt')).toEqual([
		{ app: 'tagme', event: 'checkin' },
		{ app: 'bidbaas', event: 'bid' },
		{ app: 'sdpkt' },
	]);
});

test('node parameters become a families config the core accepts; shared columns go to every family that reads them', () => {
	const families = familiesFromParameters({
		families: ['temporal', 'fx', 'geo', 'sessions', 'segments'],
		timestampColumn: 'event_time',
		timeZone: 'Africa/Johannesburg',
		userColumn: 'user_hash',
		appColumn: 'app',
		latitudeColumn: 'gps_lat',
		longitudeColumn: 'gps_lng',
		country: 'za',
		amountColumn: 'amount',
		currencyColumn: '',
		currency: 'ZAR',
		geoBackend: 'places',
		populationCentreMin: '100000',
		urbanRadiusKm: 30,
		eventColumn: 'event',
		gapMinutes: 30,
		funnelSteps: 'tagme:checkin, bidbaas:bid',
		funnelScope: 'session',
		asOf: '',
		activityRelation: '',
		revenueColumn: 'amount_zar',
		kycRelation: '',
		kycTierColumn: 'kyc_tier',
	});
	const cfg = enrichRelationSchema.parse({ source: 'intermediate.a', target: 'intermediate.enr_b', families });
	expect(cfg.families.temporal).toMatchObject({ timestampColumn: 'event_time', country: 'ZA', latitudeColumn: 'gps_lat' });
	expect(cfg.families.fx).toMatchObject({ amountColumn: 'amount', currency: 'ZAR' });
	expect(cfg.families.fx?.currencyColumn).toBeUndefined();
	expect(cfg.families.geo).toMatchObject({ populationCentreMin: 100_000, urbanRadiusKm: 30 });
	expect(cfg.families.sessions?.funnel?.steps).toHaveLength(2);
	expect(cfg.families.sessions?.attribution).toBeUndefined();
	expect(cfg.families.segments).toMatchObject({ activityTimestampColumn: 'event_time', activityAppColumn: 'app', revenueColumn: 'amount_zar' });
	expect(cfg.families.segments?.asOf).toBeUndefined();
});

test('the geo service gets its API key from the Enrichment APIs credential, and none without one', () => {
	const params = {
		families: ['geo'] as const,
		latitudeColumn: 'gps_lat',
		longitudeColumn: 'gps_lng',
		geoBackend: 'service' as const,
		geoServiceUrl: 'http://127.0.0.1:8090',
	};
	const keyed = enrichRelationSchema.parse({
		source: 'intermediate.a',
		target: 'intermediate.enr_b',
		families: familiesFromParameters({ ...params, families: [...params.families] }, { geoServiceApiKey: 'geo-key' }),
	});
	expect(keyed.families.geo?.service).toMatchObject({ baseUrl: 'http://127.0.0.1:8090', apiKey: 'geo-key' });
	const keyless = enrichRelationSchema.parse({
		source: 'intermediate.a',
		target: 'intermediate.enr_b',
		families: familiesFromParameters({ ...params, families: [...params.families] }),
	});
	expect(keyless.families.geo?.service?.apiKey).toBe('');
});

test('an attribution revenue column turns on attribution_chain with its window (default 24 hours)', () => {
	const base = {
		families: ['sessions'] as FamilyParameters['families'],
		timestampColumn: 'event_time',
		appColumn: 'app',
		attributionRevenueColumn: 'amount_zar',
	};
	const parse = (p: FamilyParameters) =>
		enrichRelationSchema.parse({ source: 'intermediate.a', target: 'intermediate.enr_b', families: familiesFromParameters(p) });
	expect(parse(base).families.sessions?.attribution).toEqual({ revenueColumn: 'amount_zar', windowHours: 24 });
	expect(parse({ ...base, attributionWindowHours: '6' }).families.sessions?.attribution).toEqual({ revenueColumn: 'amount_zar', windowHours: 6 });
	expect(() => parse({ ...base, attributionRevenueColumn: 'amount; drop table x' })).toThrow(/sessions.attribution.revenueColumn/);
});
