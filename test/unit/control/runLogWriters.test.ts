import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Issue 16 item 4: one run-log module per area. Each dwh_control run-log table is inserted into and updated by its
// one module; a second writer is how column values, statuses and error sanitising drift apart.
const ROOT = join(__dirname, '../../..');
const OWNERS: Record<string, string> = {
	extract_runs: 'src/control/runs.ts',
	anonymise_runs: 'src/anonymise/anonymiseRunLog.ts',
	rtbf_requests: 'src/anonymise/rtbfAudit.ts',
	rtbf_actions: 'src/anonymise/rtbfAudit.ts',
	retention_runs: 'src/control/retentionRunLog.ts',
	residue_checks: 'src/anonymise/residueChecks.ts',
	dbt_runs: 'src/dbt/dbtRunLog.ts',
	dbt_node_results: 'src/dbt/dbtRunLog.ts',
	push_runs: 'src/pushback/pushRuns.ts',
	reconcile_runs: 'src/reconcile/reconcileRuns.ts',
	reconcile_findings: 'src/reconcile/reconcileRuns.ts',
	dbt_webhook_requests: 'src/webhook/requestClaim.ts',
	dbt_incident_claims: 'src/webhook/incidentClaim.ts',
};
const WRITE = /\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+dwh_control\.(\w+)/gi;

test('every dwh_control run-log table is written from its one module', () => {
	const files = ['src', 'nodes']
		.flatMap((dir) => (readdirSync(join(ROOT, dir), { recursive: true }) as string[]).map((f) => `${dir}/${f}`))
		.filter((f) => f.endsWith('.ts'));
	const writers: Record<string, Set<string>> = {};
	for (const file of files) {
		for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(WRITE)) {
			const table = m[1].toLowerCase();
			if (table in OWNERS) (writers[table] ??= new Set()).add(file.replaceAll('\\', '/'));
		}
	}
	const found = Object.fromEntries(Object.entries(writers).map(([t, s]) => [t, [...s].sort()]));
	// push_runs is written through SQL functions (push_run_start, …) that only pushRuns.ts calls.
	const expected = Object.fromEntries(
		Object.entries(OWNERS)
			.filter(([t]) => t !== 'push_runs' && t !== 'dbt_node_results')
			.map(([t, f]) => [t, [f]]),
	);
	expect(found).toEqual(expected);
	const pushCalls = files.filter((f) => /dwh_control\.push_run_\w+\(/.test(readFileSync(join(ROOT, f), 'utf8')));
	expect(pushCalls).toEqual([OWNERS.push_runs]);
});
