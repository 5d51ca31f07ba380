import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { selectionProblem } from '../../src/dbt/selection.schema';
import { martInputs } from '../../src/enrich/martInputs';

/** What every shipped workflow promises (issue 15): an error workflow, severity routing, no secrets in the JSON. */
interface Wf {
	id: string;
	name: string;
	nodes: { name: string; type: string; parameters: Record<string, unknown>; credentials?: Record<string, { id: unknown; name: string }> }[];
	connections: Record<string, { main: { node: string }[][] }>;
	settings: Record<string, unknown>;
}
const dir = path.join(__dirname, '../../workflows');
const files = readdirSync(dir)
	.filter((f) => f.endsWith('.json'))
	.sort();
const wfs = new Map(files.map((f) => [f, JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as Wf]));
const handler = [...wfs.values()].find((w) => w.nodes.some((n) => n.type === 'n8n-nodes-base.errorTrigger'))!;

test('one shipped error workflow, and every shipped workflow names it (itself included: n8n never re-runs it for its own failure)', () => {
	expect(handler.id).toBe('dwhErrorHandler1');
	expect(files.map((f) => [f, wfs.get(f)!.settings.errorWorkflow])).toEqual(files.map((f) => [f, 'dwhErrorHandler1']));
});

test('credentials are referenced by name only, and no parameter carries a secret', () => {
	for (const [f, w] of wfs) {
		for (const n of w.nodes) for (const ref of Object.values(n.credentials ?? {})) expect([f, n.name, ref.id]).toEqual([f, n.name, null]);
		const text = JSON.stringify(w.nodes.map((n) => n.parameters));
		expect([f, text.match(/"(password|secret|token|apiKey|accessToken|routingKey|webhookUrl)":\s*"[^"=]/i)]).toEqual([f, null]);
		expect([f, text.match(/xox[abp]-|hooks\.slack\.com|events\.pagerduty\.com/)]).toEqual([f, null]);
	}
});

const downstream = (w: Wf, from: string): string[] => (w.connections[from]?.main ?? []).flat().map((c) => c.node);

test('the alerts workflow routes P1 to PagerDuty and the on-call Slack channel, P2 to e-mail and the pipeline channel', () => {
	const w = wfs.get('dwh-pipeline-alerts.json')!;
	const query = w.nodes.find((n) => n.name === 'Open pipeline alerts')!;
	expect(query.parameters.query).toContain('FROM dwh_control.v_pipeline_alerts_by_severity');
	expect(downstream(w, 'Open pipeline alerts').sort()).toEqual(['P1: page on-call', 'P2: open a ticket']);
	const severityOf = (filter: string) => JSON.stringify(w.nodes.find((n) => n.name === filter)!.parameters.conditions);
	expect(severityOf('P1: page on-call')).toContain('"rightValue":"P1"');
	expect(severityOf('P2: open a ticket')).toContain('"rightValue":"P2"');
	const typeOf = (name: string) => w.nodes.find((n) => n.name === name)!.type;
	expect(downstream(w, 'All P1 alerts').map(typeOf).sort()).toEqual(['n8n-nodes-base.pagerDuty', 'n8n-nodes-base.slack']);
	expect(downstream(w, 'All P2 alerts').map(typeOf).sort()).toEqual(['n8n-nodes-base.emailSend', 'n8n-nodes-base.slack']);
	expect(downstream(w, 'P1: page on-call')).toEqual(['All P1 alerts']);
	expect(downstream(w, 'P2: open a ticket')).toEqual(['All P2 alerts']);
});

test('the error workflow opens a P2 ticket by e-mail and Slack', () => {
	const trigger = handler.nodes.find((n) => n.type === 'n8n-nodes-base.errorTrigger')!;
	const targets = downstream(handler, trigger.name).map((name) => handler.nodes.find((n) => n.name === name)!);
	expect(targets.map((n) => n.type).sort()).toEqual(['n8n-nodes-base.emailSend', 'n8n-nodes-base.slack']);
	expect(String(targets.find((n) => n.type === 'n8n-nodes-base.emailSend')!.parameters.subject)).toMatch(/^=\[P2\] /);
});

test('the retention workflow runs raw expiry and the archive sweep daily, with the warehouse and object store credentials', () => {
	const w = wfs.get('dwh-retention-daily.json')!;
	const apply = w.nodes.find((n) => n.name === 'Apply retention')!;
	expect([apply.type, apply.parameters]).toEqual(['n8n-nodes-dataacuity.anonymise', { operation: 'applyRetention', sweepArchive: true }]);
	expect(Object.entries(apply.credentials!).map(([k, v]) => [k, v.name])).toEqual([
		['dataAcuityPostgres', 'DataAcuity Warehouse'],
		['dataAcuityObjectStore', 'DataAcuity Object Store'],
	]);
	const trigger = w.nodes.find((n) => n.type === 'n8n-nodes-base.scheduleTrigger')!;
	expect(trigger.parameters.rule).toEqual({ interval: [{ field: 'days', daysInterval: 1, triggerAtHour: 2, triggerAtMinute: 30 }] });
	expect(downstream(w, trigger.name)).toEqual(['Apply retention']);
	expect(w.settings.timezone).toBe('Africa/Johannesburg');
});

test('the nightly RTBF sweep verifies each person it forgot, after the marts are rebuilt and mirrored, and never fails on residue', () => {
	const w = wfs.get('dwh-rtbf-sweep-nightly.json')!;
	// executionOrder v1 runs the top branch (rebuild, mirror) to its end before the lower one (verify).
	expect(w.settings.executionOrder).toBe('v1');
	expect(downstream(w, 'Forget flagged users')).toEqual(['Rebuild user marts', 'Verify residue']);
	const position = (name: string) => (w.nodes.find((n) => n.name === name) as unknown as { position: [number, number] }).position;
	expect(position('Verify residue')[1]).toBeGreaterThan(position('Rebuild user marts')[1]);
	const verify = w.nodes.find((n) => n.name === 'Verify residue')!;
	expect(verify.parameters).toMatchObject({
		operation: 'verifyResidue',
		residueUsers: 'token',
		verificationToken: '={{ $json.verificationToken }}',
		failOnResidue: false,
	});
	expect(
		Object.values(verify.credentials!)
			.map((c) => c.name)
			.sort(),
	).toEqual(['DataAcuity Analytics DB', 'DataAcuity Anonymisation Secrets', 'DataAcuity Object Store', 'DataAcuity Warehouse']);
});

test('the daily FX ingest re-enriches the mart inputs at the new rates before rebuilding what reads them', () => {
	const w = wfs.get('dwh-fx-ingest-daily.json')!;
	expect(downstream(w, 'Ingest FX rates')).toEqual(['Re-enrich at the new rates']);
	expect(w.nodes.find((n) => n.name === 'Re-enrich at the new rates')!.parameters).toEqual({ operation: 'enrichMartInputs' });
	expect(downstream(w, 'Re-enrich at the new rates')).toEqual(['Rebuild FX-normalised marts']);
	const select = String(w.nodes.find((n) => n.name === 'Rebuild FX-normalised marts')!.parameters.select);
	expect(selectionProblem(select)).toBeNull();
	expect(select.split(' ').sort()).toEqual(
		martInputs()
			.map((m) => `source:intermediate.${m.target.replace('intermediate.', '')}+`)
			.sort(),
	);
});

test('the chain: extract → load → anonymise → dbt of what the run logs say changed → push of the targets that build refreshed', () => {
	const w = wfs.get('dwh-load-transform-push.json')!;
	const path: string[] = [];
	for (let at = 'Every 5 minutes'; at; at = downstream(w, at)[0]) path.push(at);
	expect(path).toEqual([
		'Every 5 minutes',
		'Watermark Extract',
		'Load each table',
		'Anonymise what was loaded',
		'Enrich what changed',
		'Tables to build',
		'Anything to build',
		'dbt build what changed',
		'Build summary',
		'List targets',
		'Targets the build refreshed',
		'Push each target',
	]);
	expect(downstream(w, 'Run now')).toEqual(['Watermark Extract']);
	const node = (name: string) => w.nodes.find((n) => n.name === name)! as Wf['nodes'][number] & { alwaysOutputData?: boolean; executeOnce?: boolean };
	// The anonymise stage is the shipped incremental workflow, called once, and the chain goes on when it found nothing.
	expect((node('Anonymise what was loaded').parameters.workflowId as { value: string }).value).toBe(wfs.get('dwh-anonymise-incremental.json')!.id);
	expect(node('Anonymise what was loaded')).toMatchObject({ alwaysOutputData: true, parameters: { mode: 'once' } });
	// The enrich stage: the relations whose anonymised sources changed are enriched before dbt reads them.
	expect((node('Enrich what changed').parameters.workflowId as { value: string }).value).toBe(wfs.get('dwh-enrich-chain.json')!.id);
	expect(node('Enrich what changed')).toMatchObject({ alwaysOutputData: true, parameters: { mode: 'once' } });
	const enrich = wfs.get('dwh-enrich-chain.json')!;
	expect(String(enrich.nodes.find((n) => n.name === 'Changed sources')!.parameters.query)).toContain('FROM dwh_control.v_chain_dbt_pending');
	expect(downstream(enrich, 'Anything changed')).toEqual(['Build mart inputs']);
	// The one list of enriched relations the marts read (src/enrich/martInputs.ts), before dbt reads them.
	expect(enrich.nodes.find((n) => n.name === 'Build mart inputs')!.parameters).toEqual({ operation: 'enrichMartInputs' });
	// What to build comes from the run logs (a failed or skipped build is retried next tick), read once per execution.
	expect(node('Tables to build')).toMatchObject({ executeOnce: true, credentials: { postgres: { name: 'DataAcuity Warehouse (read-only)' } } });
	expect(String(node('Tables to build').parameters.query)).toContain('FROM dwh_control.v_chain_dbt_pending');
	// ... plus the dbt sources of the enriched relations the enrich stage reported built, so the marts that read only
	// intermediate.enr_* are rebuilt and pushed by the chain too.
	expect(node('Tables to build').parameters.options).toEqual({
		queryReplacement: "={{ JSON.stringify($('Enrich what changed').all().flatMap((i) => (i.json.built ?? []).map((b) => b.target))) }}",
	});
	expect(String(node('Tables to build').parameters.query)).toContain("'source:' || t || '+'");
	expect(node('dbt build what changed').parameters).toMatchObject({ command: 'build', select: '={{ $json.select }}' });
	// Push targets whose marts this build refreshed, by the dbt node's own name.
	const refreshed = JSON.stringify(node('Targets the build refreshed').parameters.conditions);
	expect(refreshed).toContain("$('dbt build what changed').all()");
	expect(node('Push each target').parameters).toMatchObject({ operation: 'push', targetSource: 'ready', readyTarget: '={{ $json.name }}' });
});

test('the anonymise workflow runs on its schedule and when the chain calls it, listing the source databases once per call', () => {
	const w = wfs.get('dwh-anonymise-incremental.json')!;
	const trigger = w.nodes.find((n) => n.type === 'n8n-nodes-base.executeWorkflowTrigger')!;
	expect(trigger.parameters).toEqual({ inputSource: 'passthrough' });
	expect(downstream(w, trigger.name)).toEqual(['Registered source databases']);
	expect(w.nodes.find((n) => n.name === 'Registered source databases')).toMatchObject({ executeOnce: true });
});

test('weekly segment recomputation (design §7.4): the segments mart input of the users, Sundays after the holidays', async () => {
	const { martInputs } = await import('../../src/enrich/martInputs');
	const w = wfs.get('dwh-segments-weekly.json')!;
	const rule = (w.nodes.find((n) => n.type === 'n8n-nodes-base.scheduleTrigger')!.parameters.rule as { interval: unknown[] }).interval;
	expect(rule).toEqual([{ field: 'weeks', weeksInterval: 1, triggerAtDay: [0], triggerAtHour: 3, triggerAtMinute: 30 }]);
	const p = w.nodes.find((n) => n.type === 'n8n-nodes-dataacuity.enrich')!.parameters;
	expect(p).toEqual({ operation: 'enrichMartInputs', martInputsOnly: 'intermediate.enr_users' });
	// The one definition of the segments (src/enrich/martInputs.ts), not a second one.
	expect(martInputs().find((m) => m.target === p.martInputsOnly)!.config.families.segments).toBeDefined();
});
