import path from 'node:path';
import { importWorkflowObject, nodeItems, publishOn2x, readWorkflow, runWorkflow, WORKFLOWS_DIR } from './harness/instance';
import { startN8nProcess } from './harness/n8nProcess';
import { N8nRest } from './harness/rest';
import { pipelineSuite, smtpCredential } from './harness/pipeline';
import { messageText, startSmtpSink, type SmtpSink } from './harness/smtpSink';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * The shipped alerts workflow (workflows/dwh-pipeline-alerts.json) headless in real n8n 1.123 (Node 20) and 2.41 (Node
 * 24), with n8n's own Postgres node on dwh_control.v_pipeline_alerts_by_severity: quiet on a healthy warehouse; once
 * something breaks, P1 problems go to the pager route (PagerDuty + on-call Slack) and P2 problems to the ticket route
 * (e-mail + Slack). The e-mail is really sent, to a loopback SMTP server. PagerDuty and Slack are SaaS endpoints this
 * machine must not call, so the test's copy of the workflow has those two nodes disabled (n8n passes their input
 * through) and the test reads what reached them; everything else is the shipped file.
 */
const TIMEOUT = 5 * 60_000;
const WORKFLOW_ID = 'dwhPipelineAlert';
const SAAS = ['Page on-call (PagerDuty)', 'Post P1 to on-call channel (Slack)', 'Post P2 to pipeline channel (Slack)'];
describe.each(RUNTIME_KEYS)('dwh-pipeline-alerts on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'pipeline-alerts', 'e2e_alerts', { close: () => smtp?.close() });
	let smtp: SmtpSink;

	beforeAll(async () => {
		smtp = await startSmtpSink();
		await w.p.importCredentials(w.inst, [smtpCredential(smtp.port)]);
		const wf = readWorkflow(path.join(WORKFLOWS_DIR, 'dwh-pipeline-alerts.json'));
		for (const n of wf.nodes) if (SAAS.includes(n.name)) (n as { disabled?: boolean }).disabled = true;
		expect(wf.nodes.filter((n) => (n as { disabled?: boolean }).disabled).length).toBe(SAAS.length);
		await importWorkflowObject(w.inst, wf as unknown as Record<string, unknown>);
	}, TIMEOUT);

	test(
		'a healthy warehouse notifies nobody',
		async () => {
			expect((await w.p.wh.query('SELECT count(*)::int AS n FROM dwh_control.v_pipeline_alerts')).rows[0].n).toBe(0);
			const run = await runWorkflow(w.inst, WORKFLOW_ID);
			const ran = Object.keys(run.data.resultData.runData);
			expect(ran.filter((n) => /alerts|PagerDuty|Slack|e-mail/.test(n) && n !== 'Open pipeline alerts')).toEqual([]);
			expect(smtp.messages).toHaveLength(0);
		},
		TIMEOUT,
	);

	test(
		'a PII block pages (P1); a failed push and a failed dbt run open one ticket (P2) e-mailed with both named',
		async () => {
			await w.p.wh.query(`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, error_message)
			VALUES ('tagme.user_summary', 'tagme.user_summary', 'query', 'mirror', 'failed', 'analytics_db down')`);
			await w.p.wh.query(`INSERT INTO dwh_control.dbt_runs (run_id, project, command, selection, status, finished_at, error_message)
			VALUES ('e2e-d1', 'dataacuity', 'build', '{tag:hourly}', 'failed', now(), 'model.dataacuity.x: boom')`);
			await w.p.wh
				.query(`INSERT INTO dwh_control.anonymise_runs (source_db, source_table, input_relation, output_relation, mode, status, policy_version, as_of_date, pii_findings)
			VALUES ('auth_db', 'users', 'raw.auth_db__users', 'intermediate.int_auth_db__users', 'set', 'blocked', 'v1', current_date, '[{"column": "contact", "detector": "email"}]')`);
			const run = await runWorkflow(w.inst, WORKFLOW_ID);
			expect(nodeItems(run, 'Open pipeline alerts').map((a) => [a.severity, a.alert])).toEqual([
				['P1', 'anonymise_blocked'],
				['P2', 'dbt_failed'],
				['P2', 'push_failed'],
			]);
			// The pager route: one incident for the one P1 problem, with the same list on the on-call channel.
			const p1 = nodeItems(run, 'All P1 alerts');
			expect(p1).toHaveLength(1);
			expect((p1[0].alerts as Array<{ alert: string; subject: string }>).map((a) => `${a.alert} ${a.subject}`)).toEqual([
				'anonymise_blocked intermediate.int_auth_db__users',
			]);
			// The ticket route: one e-mail listing both P2 problems, really delivered.
			const p2 = nodeItems(run, 'All P2 alerts');
			expect((p2[0].alerts as Array<{ alert: string }>).map((a) => a.alert)).toEqual(['dbt_failed', 'push_failed']);
			expect(smtp.messages).toHaveLength(1);
			const mail = smtp.messages[0];
			expect(mail.to).toEqual(['<dwh-tickets@example.org>']);
			expect(mail.data).toMatch(/^Subject: \[P2\] DataAcuity pipeline: 2 alert\(s\)/m);
			expect(messageText(mail).split('\r\n')).toEqual([
				'Severity P2 (ticket).',
				'',
				'- dbt/dbt_failed build tag:hourly (model.dataacuity.x: boom)',
				'- pushback/push_failed tagme.user_summary (analytics_db down)',
				'',
				'Runbook: docs/operations.md#alerts (n8n-nodes-dataacuity); open problems: SELECT * FROM dwh_control.v_pipeline_alerts_by_severity;',
			]);
		},
		TIMEOUT,
	);

	test(
		'a failing workflow that names the shipped error workflow gets its P2 ticket e-mailed (the error workflow runs in the n8n server)',
		async () => {
			const handler = readWorkflow(path.join(WORKFLOWS_DIR, 'dwh-error-handler.json'));
			for (const n of handler.nodes) if (n.type === 'n8n-nodes-base.slack') (n as { disabled?: boolean }).disabled = true;
			await importWorkflowObject(w.inst, handler as unknown as Record<string, unknown>);
			// On 2.x n8n runs only a published error workflow (docs/n8n-runtime.md, section 3).
			await publishOn2x(w.inst, [handler.id!]);
			// A stand-in for any shipped workflow: a webhook run that fails, with the same settings.errorWorkflow.
			await importWorkflowObject(w.inst, {
				id: 'dwhE2eFailing001',
				name: 'e2e failing workflow',
				active: false,
				nodes: [
					{
						id: 'a1',
						name: 'Webhook',
						type: 'n8n-nodes-base.webhook',
						typeVersion: 2,
						position: [0, 0],
						webhookId: 'b5f3e2b0-1d1e-4c9b-9a51-0e2e0e2e0e2e',
						parameters: { httpMethod: 'POST', path: 'dwh-e2e-fail', responseMode: 'onReceived', options: {} },
					},
					{
						id: 'a2',
						name: 'Fail',
						type: 'n8n-nodes-base.stopAndError',
						typeVersion: 1,
						position: [240, 0],
						parameters: { errorType: 'errorMessage', errorMessage: 'planted failure for the error workflow' },
					},
				],
				connections: { Webhook: { main: [[{ node: 'Fail', type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1', errorWorkflow: handler.id },
			});
			const server = await startN8nProcess(w.inst, 'start', { name: `error-workflow-${key}-main` });
			try {
				const rest = new N8nRest(server.baseUrl);
				await rest.setupOwner();
				await rest.createApiKey();
				await rest.activate('dwhE2eFailing001', key);
				if (key === 'n8n2') await rest.waitForPublished(handler.id!);
				const before = smtp.messages.length;
				expect(
					(await fetch(`${server.baseUrl}/webhook/dwh-e2e-fail`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status,
				).toBe(200);
				const deadline = Date.now() + 90_000;
				while (smtp.messages.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
				expect(smtp.messages.length).toBe(before + 1);
				const mail = smtp.messages[smtp.messages.length - 1];
				expect(mail.data).toMatch(/^Subject: \[P2\] DataAcuity workflow failed: e2e failing workflow/m);
				const text = messageText(mail);
				expect(text).toMatch(/^Severity P2 \(ticket\)\./);
				expect(text).toMatch(/e2e failing workflow failed \(execution \d+, webhook\)/);
				expect(text).toContain('Last node: Fail');
				expect(text).toContain('Error: planted failure for the error workflow');
			} finally {
				await server.stop();
			}
		},
		TIMEOUT,
	);
});
