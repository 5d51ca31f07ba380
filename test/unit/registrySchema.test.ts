import { sourceRegistrySchema, sourceTableSchema } from '../../src/config/registry.schema';

const base = {
	source_db: 'auth_db',
	source_table: 'users',
	mode: 'incremental',
	load_strategy: 'upsert',
	watermark_column: 'updated_at',
	key_columns: ['id'],
	cadence: '15 minutes',
};

test('defaults fill in the optional fields', () => {
	expect(sourceTableSchema.parse(base)).toMatchObject({
		source_schema: 'public',
		lookback: '0 seconds',
		safety_lag: '0 seconds',
		schema_drift_policy: 'add_nullable_columns',
		excluded_columns: [],
		on_source_delete: 'report',
		enabled: true,
	});
});

test.each([
	[{ ...base, watermark_column: null }, 'watermark_column', 'incremental tables need a watermark_column'],
	[{ ...base, mode: 'snapshot' }, 'watermark_column', 'snapshot tables must not set watermark_column'],
	[{ ...base, load_strategy: 'replace' }, 'load_strategy', "snapshot mode goes with load_strategy 'replace'"],
	[{ ...base, source_table: 'users; drop table x' }, 'source_table', 'source_table must be a lower-case SQL identifier'],
	[{ ...base, cadence: 'soonish' }, 'cadence', "cadence must be a Postgres interval such as '15 minutes'"],
	[{ ...base, excluded_columns: ['id'] }, 'excluded_columns', 'key column id cannot be excluded'],
	[{ ...base, key_columns: [] }, 'key_columns', 'key_columns needs at least one column'],
	[{ ...base, watermark_time_zone: 'Mars/Olympus' }, 'watermark_time_zone', 'watermark_time_zone "Mars/Olympus" is not an IANA time zone'],
	[
		{ ...base, mode: 'snapshot', load_strategy: 'replace', watermark_column: null, watermark_time_zone: 'UTC' },
		'watermark_time_zone',
		'watermark_time_zone only applies to a watermark_column',
	],
	[{ ...base, on_source_delete: 'purge' }, 'on_source_delete', 'on_source_delete must be one of report, mark, delete (default report)'],
	[{ ...base, reconcile_cadence: 'nightly' }, 'reconcile_cadence', "reconcile_cadence must be a Postgres interval such as '15 minutes' or '1 hour'"],
	[
		{ ...base, mode: 'snapshot', load_strategy: 'replace', watermark_column: null, reconcile_cadence: '1 day' },
		'reconcile_cadence',
		'auth_db.public.users: reconcile_cadence applies to incremental tables only — every load of a snapshot table replaces bronze with the whole source table; remove it or set null',
	],
])('rejects a bad entry and names the field (%#)', (entry, field, message) => {
	const r = sourceTableSchema.safeParse(entry);
	expect(r.success).toBe(false);
	const issue = r.error!.issues.find((i) => i.path[0] === field);
	expect(issue?.message).toContain(message);
});

test('duplicate tables in one registry are refused', () => {
	const r = sourceRegistrySchema.safeParse({ version: '1', tables: [base, base] });
	expect(r.success).toBe(false);
	expect(r.error!.issues[0].message).toBe('duplicate table auth_db__users');
});

test("reconcile_cadence: the table's own, else the registry's default_cadence (1 day) for incremental tables; null opts out", () => {
	const snap = { ...base, source_table: 'dims', mode: 'snapshot', load_strategy: 'replace', watermark_column: null };
	const cadences = (r: unknown) => sourceRegistrySchema.parse(r).tables.map((t) => [t.source_table, t.reconcile_cadence]);
	const tables = [base, { ...base, source_table: 'pins', reconcile_cadence: '1 hour' }, { ...base, source_table: 'quiet', reconcile_cadence: null }, snap];
	expect(cadences({ version: '1', tables })).toEqual([
		['users', '1 day'],
		['pins', '1 hour'],
		['quiet', null],
		['dims', null],
	]);
	expect(cadences({ version: '1', reconcile: { default_cadence: '6 hours' }, tables: [base] })).toEqual([['users', '6 hours']]);
	expect(cadences({ version: '1', reconcile: { default_cadence: null }, tables: [base] })).toEqual([['users', null]]);
});
