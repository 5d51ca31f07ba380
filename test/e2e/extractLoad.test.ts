import { openPipelineContext } from '../../src/pipeline/context';
import { extractTable } from '../../src/extract/extractTable';
import {
	describeRun,
	executeWorkflow,
	importWorkflowFiles,
	importWorkflowObject,
	newInstance,
	nodeItems,
	readWorkflow,
	shippedWorkflowFiles,
	WORKFLOW_IDS,
	WORKFLOWS_DIR,
} from './harness/instance';
import type { N8nInstance } from './harness/n8nProcess';
import { createPipeline, type E2ePipeline } from './harness/pipeline';
import { createSourceTables, expectBronzeEqualsSource, insertCustomers, insertPayments, runLog } from './harness/warehouseChecks';
import path from 'node:path';
import { incremental } from '../harness/registerTable';

/**
 * (b) dwh-extract-load runs headlessly in n8n 1.123 (`import:workflow`, then `execute --id`), loads every due table
 * into bronze equal to the source, records each run in the run log, and one table's failure does not stop the
 * others. (c) dwh-load-bronze replays a CSV by hand through its Execute Workflow trigger inputs.
 */
const TIMEOUT = 10 * 60_000;

let inst: N8nInstance;
let p: E2ePipeline;
let customers: string;
let payments: string;
let ghost: string;

beforeAll(async () => {
	inst = newInstance('n8n1', 'extract-load')!;
	p = await createPipeline('e2e_el');
	await createSourceTables(p.src);
	// cadence 1 second: every table is due on every run (the 30 s scheduler grace covers the rest).
	customers = await p.register(incremental('upsert', 'customers', 'updated_at', '1 second'));
	payments = await p.register(incremental('append', 'payments', 'created_at', '1 second'));
	// Registered but absent on the source: its extract fails every time.
	ghost = await p.register(incremental('append', 'refunds', 'created_at', '1 second'));
	await p.importCredentials(inst);
	await importWorkflowFiles(inst, shippedWorkflowFiles());
}, TIMEOUT);

afterAll(async () => {
	await p?.close();
});

describe('dwh-extract-load, headless in n8n 1.123', () => {
	test(
		'first run back-fills every table; the failing table is logged and does not stop the others',
		async () => {
			await insertCustomers(p.src, 1, 400);
			await insertPayments(p.src, 900);
			const r = await executeWorkflow(inst, WORKFLOW_IDS.extractLoad);
			expect(r.ok).toBe(true);
			if (!r.ok) throw new Error(describeRun(r));

			const extracted = nodeItems(r.output!, 'Watermark Extract');
			// The shipped workflow loads while extracting (Watermark Extract 1.1); the sub-workflow passes the loads through.
			expect(extracted.map((i) => [i.table, i.status]).sort()).toEqual(
				[
					[customers, 'loaded'],
					[ghost, 'failed'],
					[payments, 'loaded'],
				].sort(),
			);
			const loaded = nodeItems(r.output!, 'Load each table');
			const byTable = Object.fromEntries(loaded.map((i) => [i.table, i]));
			expect(byTable[customers]).toMatchObject({ status: 'loaded', rowsInCsv: 400, rowsInserted: 400 });
			expect(byTable[payments]).toMatchObject({ status: 'loaded', rowsInCsv: 900, rowsInserted: 900 });
			expect(byTable[ghost]).toMatchObject({ status: 'skipped' });
			expect(String(byTable[ghost].message)).toContain('refunds');

			const summary = nodeItems(r.output!, 'Summary');
			const loadedSummary = summary.find((s) => s.status === 'loaded');
			expect((loadedSummary?.appended_table as string[]).sort()).toEqual([customers, payments].sort());
			expect(loadedSummary?.sum_rowsInserted).toBe(1300);

			expect(await expectBronzeEqualsSource(p.src, p.wh, 'customers', customers, ['id'])).toBe(400);
			expect(await expectBronzeEqualsSource(p.src, p.wh, 'payments', payments, ['id'])).toBe(900);

			const log = await runLog(p.wh);
			expect(log.filter((l) => l.table_name === customers).map((l) => l.status)).toEqual(['loaded']);
			expect(log.filter((l) => l.table_name === payments).map((l) => l.status)).toEqual(['loaded']);
			const ghostRuns = log.filter((l) => l.table_name === ghost);
			expect(ghostRuns.map((l) => l.status)).toEqual(['failed']);
			expect(ghostRuns[0].error_message).toMatch(/refunds/);
			// The run log ties each run to the n8n execution that did it.
			for (const l of log) expect(l.n8n_execution_id).toMatch(/^\d+$/);
			// Loaded CSVs in processed/ (written there directly by the one-pass load), nothing left waiting in exports/.
			expect(await p.listKeys(`${p.store.prefix}/exports/`)).toEqual([]);
			expect((await p.listKeys(`${p.store.prefix}/processed/`)).length).toBe(2);
		},
		TIMEOUT,
	);

	test(
		'the next run loads only what changed: updates win, new rows append, watermarks move forward',
		async () => {
			const before = await p.wh.query<{ table_name: string; last_extracted_at: string }>(
				`SELECT table_name, last_extracted_at::text FROM dwh_control.extract_watermarks ORDER BY 1`,
			);
			await p.src.query(`UPDATE customers SET full_name = full_name || ' (moved to Durban)', updated_at = clock_timestamp() WHERE id % 10 = 0`);
			await insertCustomers(p.src, 401, 25);
			await insertPayments(p.src, 120);
			const r = await executeWorkflow(inst, WORKFLOW_IDS.extractLoad);
			if (!r.ok) throw new Error(describeRun(r));
			const byTable = Object.fromEntries(nodeItems(r.output!, 'Load each table').map((i) => [i.table, i]));
			expect(byTable[customers]).toMatchObject({ status: 'loaded', rowsInCsv: 65, rowsInserted: 25, rowsUpdated: 40 });
			expect(byTable[payments]).toMatchObject({ status: 'loaded', rowsInCsv: 120, rowsInserted: 120 });
			expect(await expectBronzeEqualsSource(p.src, p.wh, 'customers', customers, ['id'])).toBe(425);
			expect(await expectBronzeEqualsSource(p.src, p.wh, 'payments', payments, ['id'])).toBe(1020);
			const after = await p.wh.query<{ table_name: string; advanced: boolean }>(
				`SELECT w.table_name, w.last_extracted_at > b.last_extracted_at::timestamptz AS advanced
			   FROM dwh_control.extract_watermarks w JOIN unnest($1::text[], $2::text[]) AS b(table_name, last_extracted_at) USING (table_name)
			  WHERE w.table_name = ANY($3::text[]) ORDER BY 1`,
				[before.rows.map((b) => b.table_name), before.rows.map((b) => b.last_extracted_at), [customers, payments]],
			);
			expect(after.rows).toEqual(
				[
					{ table_name: customers, advanced: true },
					{ table_name: payments, advanced: true },
				].sort((a, b) => a.table_name.localeCompare(b.table_name)),
			);
		},
		TIMEOUT,
	);
});

describe('dwh-load-bronze, replaying a CSV by hand', () => {
	test(
		'a run extracted but never loaded is loaded from its CSV through the sub-workflow inputs',
		async () => {
			await insertPayments(p.src, 77);
			// Extract with the core only (as if the load step had crashed): the CSV waits in exports/.
			const ctx = openPipelineContext({ source: p.source, warehouse: p.warehouse, store: p.store });
			const extract = await extractTable(ctx, payments).finally(() => ctx.close());
			expect(extract).toMatchObject({ status: 'uploaded', rows: 77 });
			expect(await p.listKeys(`${p.store.prefix}/exports/`)).toHaveLength(1);

			// What a user does in the editor: call dwh-load-bronze with table, csvPath, runId and window. The caller
			// reuses the shipped Execute Workflow node, with the inputs typed in instead of mapped from the extract.
			const shipped = readWorkflow(path.join(WORKFLOWS_DIR, 'dwh-extract-load.json'));
			const callNode = structuredClone(shipped.nodes.find((n) => n.name === 'Load each table')!);
			const mapper = callNode.parameters.workflowInputs as { value: Record<string, unknown> };
			mapper.value = { table: payments, csvPath: extract.csvPath, runId: extract.runId, window: extract.window, status: '', message: '' };
			callNode.position = [260, 0];
			await importWorkflowObject(inst, {
				id: 'dwhReplayByHand1',
				name: 'Replay a CSV (test)',
				nodes: [
					{ id: 'c0ffee00-0000-4000-8000-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
					callNode,
				],
				connections: { Start: { main: [[{ node: callNode.name, type: 'main', index: 0 }]] } },
				settings: { executionOrder: 'v1' },
			});
			const r = await executeWorkflow(inst, 'dwhReplayByHand1');
			if (!r.ok) throw new Error(describeRun(r));
			expect(nodeItems(r.output!, callNode.name)).toEqual([
				expect.objectContaining({ table: payments, runId: extract.runId, status: 'loaded', rowsInCsv: 77, rowsInserted: 77 }),
			]);
			expect(await expectBronzeEqualsSource(p.src, p.wh, 'payments', payments, ['id'])).toBe(1097);
			expect((await runLog(p.wh, payments)).find((l) => Number(l.run_id) === extract.runId)?.status).toBe('loaded');
			expect(await p.listKeys(`${p.store.prefix}/exports/`)).toEqual([]);

			// Replaying the same CSV again changes nothing.
			const again = await executeWorkflow(inst, 'dwhReplayByHand1');
			if (!again.ok) throw new Error(describeRun(again));
			expect(nodeItems(again.output!, callNode.name)[0]).toMatchObject({ status: expect.stringMatching(/already_loaded|failed/) });
			expect(await expectBronzeEqualsSource(p.src, p.wh, 'payments', payments, ['id'])).toBe(1097);
		},
		TIMEOUT,
	);
});
