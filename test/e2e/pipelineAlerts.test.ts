import path from 'node:path';
import { describeRun, executeWorkflow, importWorkflowFiles, newInstance, nodeItems, WORKFLOWS_DIR } from './harness/instance';
import type { N8nInstance } from './harness/n8nProcess';
import { createPipeline, type E2ePipeline } from './harness/pipeline';

/**
 * The shipped alerts workflow (workflows/dwh-pipeline-alerts.json) headless in real n8n 1.123, with n8n's own
 * Postgres node on dwh_control.v_pipeline_alerts: quiet on a healthy warehouse, and a failing execution naming
 * every open problem once something breaks — which is what routes it to the error workflow / pager.
 */
const TIMEOUT = 5 * 60_000;
const WORKFLOW_ID = 'dwhPipelineAlert';
let inst: N8nInstance;
let p: E2ePipeline;

beforeAll(async () => {
	inst = newInstance('n8n1', 'pipeline-alerts')!;
	p = await createPipeline('e2e_alerts');
	await p.importCredentials(inst);
	await importWorkflowFiles(inst, [path.join(WORKFLOWS_DIR, 'dwh-pipeline-alerts.json')]);
}, TIMEOUT);
afterAll(async () => {
	await p?.close();
}, 60_000);

test('a healthy warehouse raises nothing', async () => {
	expect((await p.wh.query('SELECT count(*)::int AS n FROM dwh_control.v_pipeline_alerts')).rows[0].n).toBe(0);
	const r = await executeWorkflow(inst, WORKFLOW_ID);
	if (!r.ok) throw new Error(describeRun(r));
	expect(r.output!.data.resultData.runData['Raise alert']).toBeUndefined();
}, TIMEOUT);

test('a failed push and a failed dbt run fail the execution with both named', async () => {
	await p.wh.query(`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, error_message)
		VALUES ('tagme.user_summary', 'tagme.user_summary', 'query', 'mirror', 'failed', 'analytics_db down')`);
	await p.wh.query(`INSERT INTO dwh_control.dbt_runs (run_id, project, command, selection, status, finished_at, error_message)
		VALUES ('e2e-d1', 'dataacuity', 'build', '{tag:hourly}', 'failed', now(), 'model.dataacuity.x: boom')`);
	const r = await executeWorkflow(inst, WORKFLOW_ID);
	expect(r.ok).toBe(false);
	const text = `${r.stdout}\n${r.stderr}`;
	expect(text).toContain('2 pipeline alert(s)');
	expect(text).toContain('dbt/dbt_failed build tag:hourly (model.dataacuity.x: boom)');
	expect(text).toContain('pushback/push_failed tagme.user_summary (analytics_db down)');
	if (r.output) expect(nodeItems(r.output, 'Open pipeline alerts')).toHaveLength(2);
}, TIMEOUT);
