import { buildCreateTargetSql, buildSourceSelects, buildSyncSql } from '../../../src/pushback/syncSql';

const sql = buildSyncSql({
	target: { schema: 'tagme', table: 'poi_popularity' },
	columns: [
		{ name: 'poi_id', type: 'text' },
		{ name: 'day', type: 'date' },
		{ name: 'users', type: 'integer' },
		{ name: 'extra', type: 'jsonb' },
	],
	key: ['poi_id', 'day'],
	stage: 'pushback_stage_ab',
	suppressed: 'pushback_suppressed_ab',
});

test('only rows whose non-key columns differ are updated (text comparison: json has no equality operator)', () => {
	expect(sql.updateChanged).toBe(
		'UPDATE "tagme"."poi_popularity" t SET "users" = s."users", "extra" = s."extra" FROM "pushback_stage_ab" s ' +
			'WHERE t."poi_id" = s."poi_id" AND t."day" = s."day" AND (t."users"::text, t."extra"::text) IS DISTINCT FROM (s."users"::text, s."extra"::text)',
	);
});

test('mirror deletes target keys missing from the stage; suppressed keys are deleted by key', () => {
	expect(sql.deleteMissing).toBe(
		'DELETE FROM "tagme"."poi_popularity" t WHERE NOT EXISTS (SELECT 1 FROM "pushback_stage_ab" s WHERE s."poi_id" = t."poi_id" AND s."day" = t."day")',
	);
	expect(sql.deleteSuppressed).toBe(
		'DELETE FROM "tagme"."poi_popularity" t USING "pushback_suppressed_ab" s WHERE t."poi_id" = s."poi_id" AND t."day" = s."day"',
	);
});

test('staging tables are session temp tables fed by COPY FROM STDIN; the suppressed one holds keys only', () => {
	expect(sql.createStage).toBe('CREATE TEMP TABLE "pushback_stage_ab" ("poi_id" text, "day" date, "users" integer, "extra" jsonb)');
	expect(sql.createSuppressed).toBe('CREATE TEMP TABLE "pushback_suppressed_ab" ("poi_id" text, "day" date)');
	expect(sql.copyIntoStage).toBe('COPY "pushback_stage_ab" ("poi_id", "day", "users", "extra") FROM STDIN');
	expect(sql.copyIntoSuppressed).toBe('COPY "pushback_suppressed_ab" ("poi_id", "day") FROM STDIN');
});

test('a key-only target never updates', () => {
	const k = buildSyncSql({ target: { schema: 's', table: 't' }, columns: [{ name: 'id', type: 'text' }], key: ['id'], stage: 'a', suppressed: 'b' });
	expect(k.updateChanged).toBeNull();
});

test('the first push creates the table with NOT NULL keys and the configured primary key', () => {
	expect(
		buildCreateTargetSql(
			{ schema: 'shared', table: 'fx_rates_daily' },
			[
				{ name: 'currency_pair', type: 'text' },
				{ name: 'date', type: 'date' },
				{ name: 'rate_close', type: 'numeric' },
			],
			['currency_pair', 'date'],
		),
	).toBe(
		'CREATE TABLE "shared"."fx_rates_daily" ("currency_pair" text NOT NULL, "date" date NOT NULL, "rate_close" numeric, PRIMARY KEY ("currency_pair", "date"))',
	);
});

test('the k gate splits the source into passing rows and suppressed keys; NULL sizes are suppressed', () => {
	const s = buildSourceSelects(
		'"marts"."agg"',
		[
			{ name: 'city', castToText: false },
			{ name: 'mood', castToText: true },
			{ name: 'users', castToText: false },
		],
		['city', 'mood'],
		{ groupSizeColumn: 'users', k: 5 },
	);
	expect(s.passing).toBe('SELECT "city", "mood"::text, "users" FROM "marts"."agg" WHERE "users" >= 5');
	expect(s.suppressed).toBe('SELECT "city", "mood"::text FROM "marts"."agg" WHERE ("users" >= 5) IS NOT TRUE');
	expect(buildSourceSelects('"m"."a"', [{ name: 'x', castToText: false }], ['x'], null)).toEqual({ passing: 'SELECT "x" FROM "m"."a"', suppressed: null });
});

test('a key outside the columns is a programming error, not silent SQL', () => {
	expect(() => buildSyncSql({ target: { schema: 's', table: 't' }, columns: [{ name: 'a', type: 'text' }], key: ['b'], stage: 'x', suppressed: 'y' })).toThrow(
		'key column b is not among the source columns',
	);
});
