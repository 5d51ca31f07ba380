import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineSplitter, parseDbtLogLine } from '../../../src/dbt/jsonLog';
import { countStatuses, firstNodeError } from '../../../src/dbt/runOutcome';
import { parseRunResults, splitUniqueId, toNodeResults } from '../../../src/dbt/runResults.schema';

const fixture = (f: string) => readFileSync(path.join(__dirname, 'fixtures', f), 'utf8');

test('run_results.json of a real dbt 1.9 build becomes one item per node', () => {
	const nodes = toNodeResults(parseRunResults(fixture('run_results.build.json'), 'run_results.json'));
	expect(nodes.map((n) => [n.resourceType, n.name, n.status, n.rowsAffected, n.message])).toEqual([
		['model', 'stg_ledger_db__transactions', 'success', null, 'CREATE VIEW'],
		['model', 'fct_ledger_transactions_anon', 'success', 300, 'SELECT 300'],
		['test', 'agg_revenue_daily_app_country_k_warn_below_10', 'warn', null, 'Got 3 results, configured to warn if != 0'],
		['test', 'source_not_null_ledger_db_transactions_id', 'pass', null, null],
	]);
	expect(nodes[1].startedAt! < nodes[1].completedAt!).toBe(true);
	expect(nodes[1].relation).toBe('"wh1"."marts"."fct_ledger_transactions_anon"');
	expect(nodes[2].failures).toBe(3);
	expect(countStatuses(nodes)).toEqual({ success: 2, warn: 1, pass: 1 });
	expect(firstNodeError(nodes)).toBeNull();
});

test('sources.json (source freshness) has the same shape, with what freshness measured as the message', () => {
	const nodes = toNodeResults(parseRunResults(fixture('sources.freshness.json'), 'sources.json'));
	expect(nodes[0]).toMatchObject({ resourceType: 'source', name: 'ledger_db.accounts', status: 'pass', rowsAffected: null, freshnessAgeS: 145.54 });
	expect(nodes[0].message).toMatch(/^last load 146s ago \(max_loaded_at 2026-/);
});

test('a malformed artifact says which file and what is wrong', () => {
	expect(() => parseRunResults('{', '/r/run_results.json')).toThrow(/^\/r\/run_results.json is not valid JSON/);
	expect(() => parseRunResults('{"metadata": {}, "results": [{"status": "success"}]}', 'rr.json')).toThrow(
		/rr.json does not look like dbt run results: results.0.unique_id/,
	);
});

test('failing nodes name themselves in the first error', () => {
	const nodes = toNodeResults(
		parseRunResults(
			JSON.stringify({
				metadata: {},
				results: [
					{ unique_id: 'model.p.ok', status: 'success', execution_time: 1, timing: [] },
					{ unique_id: 'model.p.broken', status: 'error', execution_time: 0.1, timing: [], message: 'Database Error in model broken\n  division by zero' },
				],
			}),
			'x',
		),
	);
	expect(firstNodeError(nodes)).toBe('model.p.broken: Database Error in model broken\n  division by zero');
	expect(splitUniqueId('source.p.ledger_db.transactions')).toEqual({ resourceType: 'source', name: 'ledger_db.transactions' });
});

test("dbt's JSON log lines are parsed; other output is kept as text; lines survive chunk boundaries", () => {
	const s = new LineSplitter();
	const line = JSON.stringify({
		info: { name: 'LogModelResult', level: 'info', msg: '1 of 2 OK created', ts: '2026-11-25T01:00:00Z', invocation_id: 'abc' },
		data: { status: 'success' },
	});
	const lines = [...s.push(line.slice(0, 20)), ...s.push(line.slice(20) + '\nTraceback (most recent call last):\n'), ...s.end()];
	expect(lines).toHaveLength(2);
	expect(parseDbtLogLine(lines[0])).toEqual({
		level: 'info',
		event: 'LogModelResult',
		message: '1 of 2 OK created',
		ts: '2026-11-25T01:00:00Z',
		invocationId: 'abc',
		data: { status: 'success' },
	});
	expect(parseDbtLogLine(lines[1])).toMatchObject({ event: 'text', message: 'Traceback (most recent call last):' });
	expect(parseDbtLogLine('   ')).toBeNull();
});
