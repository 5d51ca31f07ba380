import { policySchema } from '../../../src/anonymise/policy.schema';
import { dbtCoreConfigSchema } from '../../../src/dbt/coreConfig.schema';
import { enrichRelationSchema } from '../../../src/enrich/config.schema';
import { parseConfig } from '../../../src/enrich/parseConfig';

const enrichIssues = (source: string, target: string) => {
	try {
		parseConfig(enrichRelationSchema, { source, target, families: { temporal: { timestampColumn: 'event_time' } } }, 'Enrich Relation config');
		return [];
	} catch (err) {
		return (err as { issues: string[] }).issues;
	}
};

describe('Enrich Relation writes only intermediate.enr_<name>', () => {
	test.each([
		'raw.auth_db__users',
		'dwh_control.schema_migrations',
		'compliance.token_vault',
		'marts.fct_tagme_checkins',
		'intermediate.int_auth_db__users',
		'intermediate.events_enriched',
		'staging.stg_auth_db__users',
	])('target %s is refused, naming the parameter', (target) => {
		expect(enrichIssues('intermediate.events', target)).toEqual([
			`target must be intermediate.enr_<name> (Enrich Relation replaces only its own tables, never raw, dwh_control, compliance, an Anonymise output or a mart), got ${target}`,
		]);
	});

	test('an enr_ table in intermediate is accepted', () => {
		expect(enrichIssues('intermediate.events', 'intermediate.enr_events')).toEqual([]);
	});

	test('sources are anonymised relations only: raw PII cannot be enriched into intermediate', () => {
		expect(enrichIssues('raw.auth_db__users', 'intermediate.enr_users')).toEqual([
			'source must be an intermediate.* relation (Enrich reads only anonymised data), got raw.auth_db__users',
		]);
		const segments = enrichRelationSchema.safeParse({
			source: 'intermediate.users',
			target: 'intermediate.enr_users',
			families: { segments: { activityTimestampColumn: 't', activityRelation: 'raw.x', kycRelation: 'dwh_control.extract_runs' } },
		});
		expect(segments.error?.issues.map((i) => i.message)).toEqual([
			'segments.activityRelation must be an intermediate.* relation (Enrich reads only anonymised data), got raw.x',
			'segments.kycRelation must be an intermediate.* relation (Enrich reads only anonymised data), got dwh_control.extract_runs',
		]);
	});
});

describe('Anonymise policies', () => {
	const policy = (table: Record<string, unknown>) => ({
		source_db: 'auth_db',
		version: '1',
		tables: [{ table: 'users', columns: { id: { strategy: 'keep' } }, ...table }],
	});
	const messages = (table: Record<string, unknown>) =>
		policySchema.safeParse(policy(table)).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];

	test('output is an int_ table: never an Enrich output or another stage relation', () => {
		expect(messages({ output: 'enr_users' })).toEqual([
			"tables.0.output: output must start with int_ (Anonymise replaces only its own intermediate.int_* tables, never an Enrich output or another stage's relation), got enr_users",
		]);
		expect(messages({ output: 'int_users_v2' })).toEqual([]);
	});

	test('input is bronze or staging: Forget Users deletes there, so dwh_control or compliance can never be named', () => {
		expect(messages({ input: { schema: 'dwh_control', table: 'schema_migrations' } })).toEqual([
			'tables.0.input.schema: input.schema must be raw or staging (Anonymise reads bronze or dbt staging, and Forget Users deletes there), got dwh_control',
		]);
		expect(messages({ input: { schema: 'staging', table: 'stg_auth_db__users' } })).toEqual([]);
	});
});

describe('dbt default schema', () => {
	test.each(['raw', 'dwh_control', 'compliance', 'intermediate', 'dwh_enrich'])('%s is refused, naming defaultSchema', (schema) => {
		const r = dbtCoreConfigSchema.safeParse({ connectionSource: 'environment', defaultSchema: schema });
		expect(r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)).toEqual([
			`defaultSchema: defaultSchema must not be ${schema}: dbt writes staging, marts and its own schema, never raw, dwh_control, compliance, dwh_enrich or intermediate (the Anonymise and Enrich outputs) — use e.g. dbt`,
		]);
	});
	test('its own schema is fine', () => {
		expect(dbtCoreConfigSchema.parse({ connectionSource: 'environment', defaultSchema: 'dbt_ci' }).defaultSchema).toBe('dbt_ci');
	});
});
