import { dbtCommandSchema } from '../../../src/dbt/command.schema';
import { dbtVars, selectionProblem } from '../../../src/dbt/selection.schema';

describe('dbt selector grammar', () => {
	test.each([
		'stg_ledger_db__transactions',
		'+fct_ledger_transactions_anon+',
		'2+dim_user_360_anon+1',
		'@agg_revenue_daily_app_country',
		'source:ledger_db.transactions+',
		'source:ledger_db.*',
		'tag:nightly,config.materialized:table',
		'path:models/marts',
		'state:modified.body+',
		'staging marts.fct_*',
		'resource_type:test',
	])('accepts %s', (s) => {
		expect(selectionProblem(s)).toBeNull();
	});

	test.each([
		['x; rm -rf /', /"x;" which is not a dbt selector|has "x;"/],
		['$(curl evil)', /not a dbt selector/],
		['`id`', /not a dbt selector/],
		['--profiles-dir /etc', /"--profiles-dir"/],
		['-s other', /"-s"/],
		['model && echo', /"&&"/],
		['a,,b', /empty part/],
		['', /is empty/],
		['model\nother', /control characters/],
		['unknownmethod:foo', /not a dbt selector/],
		['source:../../etc/passwd|x', /not a dbt selector/],
	])('rejects %j', (s, msg) => {
		expect(selectionProblem(s)).toMatch(msg);
	});

	test('the command schema names the field that holds a bad selector', () => {
		const r = dbtCommandSchema.safeParse({ command: 'build', select: ['ok_model', 'x; rm -rf /'] });
		expect(r.success).toBe(false);
		expect(r.error!.issues[0].path).toEqual(['select', 1]);
		expect(r.error!.issues[0].message).toMatch(/^select has "x;"/);
	});

	test('selector, target and var names cannot look like options', () => {
		expect(dbtCommandSchema.safeParse({ command: 'run', selector: '--state' }).success).toBe(false);
		expect(dbtCommandSchema.safeParse({ command: 'run', target: '-t' }).success).toBe(false);
		expect(dbtCommandSchema.safeParse({ command: 'run', vars: { 'a b': 1 } }).success).toBe(false);
	});

	test('vars: JSON text or object of plain values; nothing else', () => {
		expect(dbtVars.parse('{"start": "2026-01-01", "n": 3, "flags": [true, null]}')).toEqual({ start: '2026-01-01', n: 3, flags: [true, null] });
		expect(dbtVars.parse('')).toEqual({});
		expect(dbtVars.safeParse('start: 2026').success).toBe(false);
		expect(dbtVars.safeParse('[1,2]').success).toBe(false);
		expect(dbtVars.safeParse({ s: 'line\u0007bell' }).success).toBe(false);
	});

	test('command-level rules: selector xor select, fullRefresh only where it means something, retry needs retryOf', () => {
		expect(dbtCommandSchema.safeParse({ command: 'build', selector: 'nightly', select: ['a'] }).error?.issues[0].message).toMatch(/either selector or select/);
		expect(dbtCommandSchema.safeParse({ command: 'test', fullRefresh: true }).error?.issues[0].path).toEqual(['fullRefresh']);
		expect(dbtCommandSchema.safeParse({ command: 'retry' }).error?.issues[0].message).toMatch(/retry needs retryOf/);
		expect(dbtCommandSchema.safeParse({ command: 'destroy' }).error?.issues[0].message).toMatch(
			/command must be one of: build, run, test, source freshness, seed, retry/,
		);
	});
});
