import { isDirectIdentifier } from '../../../src/pushback/piiGate';
import { READY_TARGETS, readyTarget } from '../../../src/pushback/readyTargets';
import { isPerUserTarget } from '../../../src/pushback/target.schema';

test('every ready-made target is a valid config with its own target relation', () => {
	const relations = READY_TARGETS.map((t) => `${t.config.target.schema}.${t.config.target.table}`);
	expect(new Set(relations).size).toBe(relations.length);
	for (const t of READY_TARGETS) {
		expect(t.config.name).toBe(`${t.config.target.schema}.${t.config.target.table}`);
		expect(t.config.target.schema).toBe(t.app);
		expect(Object.keys(t.reads).every((r) => r.startsWith('marts.'))).toBe(true);
		expect(t.config.source.kind).toBe('query');
	}
});

test('aggregates over users carry a k gate of at least 5; per-user summaries are keyed by user_hash', () => {
	for (const name of ['tagme.poi_popularity', 'bidbaas.category_pulse']) expect(readyTarget(name).config.kAnonymity?.k).toBeGreaterThanOrEqual(5);
	const appSummaries = ['tagme', 'bidbaas', 'sdpkt', 'txtme', 'takemehome', 'whatwewant'].map((app) => `${app}.user_summary`);
	for (const name of [...appSummaries, 'shared.user_lifecycle', 'shared.cross_app_funnel']) {
		expect(isPerUserTarget(readyTarget(name).config)).toBe(true);
		expect(readyTarget(name).config.piiAllowColumns).toEqual([]);
	}
});

test('an unknown ready-made target names the known ones', () => {
	expect(() => readyTarget('panik.alerts')).toThrow('unknown ready-made target "panik.alerts" — one of: tagme.user_summary, tagme.poi_popularity');
});

test('direct identifiers are the §6.1 ones; location and network findings are not', () => {
	for (const d of ['email', 'phone_za', 'sa_id_number', 'card_pan', 'iban', 'person_name', 'device_id', 'passport'])
		expect(isDirectIdentifier({ detector: d as never })).toBe(true);
	for (const d of ['gps_precise', 'ipv4', 'postcode', 'date_of_birth']) expect(isDirectIdentifier({ detector: d as never })).toBe(false);
});

test('every target of design §9.2 is ready-made', () => {
	expect(READY_TARGETS.map((t) => t.config.name).sort()).toEqual([
		'bidbaas.category_pulse',
		'bidbaas.user_summary',
		'sdpkt.user_summary',
		'shared.cross_app_funnel',
		'shared.fx_rates_daily',
		'shared.user_lifecycle',
		'tagme.poi_popularity',
		'tagme.user_summary',
		'takemehome.user_summary',
		'txtme.user_summary',
		'whatwewant.user_summary',
	]);
});
