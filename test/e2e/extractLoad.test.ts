import { openPipelineContext } from '../../src/pipeline/context';
import { extractTable } from '../../src/extract/extractTable';
import { importWorkflowObject, nodeItems, readWorkflow, runWorkflow, WORKFLOW_IDS, WORKFLOWS_DIR } from './harness/instance';
import { pipelineSuite } from './harness/pipeline';
import { createSourceTables, expectBronzeEqualsSource, insertCustomers, insertPayments, runLog } from './harness/warehouseChecks';
import path from 'node:path';
import { incremental } from '../harness/registerTable';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * (b) dwh-extract-load runs headlessly in n8n 1.123 (Node 20) and 2.41 (Node 24, with dwh-load-bronze published)
 * (`import:workflow`, then `execute --id`), loads every due table into bronze equal to the source, records each run in
 * the run log, and one table's failure does not stop the others. (c) dwh-load-bronze replays a CSV by hand through its
 * Execute Workflow trigger inputs.
 */
const TIMEOUT = 10 * 60_000;

describe.each(RUNTIME_KEYS)('extract and load on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'extract-load', 'e2e_el');
	let customers: string;
	let payments: string;
	let ghost: string;

	beforeAll(async () => {
		await createSourceTables(w.p.src);
		// cadence 1 second: every table is due on every run (the 30 s scheduler grace covers the rest).
		customers = await w.p.register(incremental('upsert', 'customers', 'updated_at', '1 second'));
		payments = await w.p.register(incremental('append', 'payments', 'created_at', '1 second'));
		// Registered but absent on the source: its extract fails every time.
		ghost = await w.p.register(incremental('append', 'refunds', 'created_at', '1 second'));
		await w.importShipped([]);
	}, TIMEOUT);

	describe('dwh-extract-load, headless', () => {
		test(
			'first run back-fills every table; the failing table is logged and does not stop the others',
			async () => {
				await insertCustomers(w.p.src, 1, 400);
				await insertPayments(w.p.src, 900);
				const run = await runWorkflow(w.inst, WORKFLOW_IDS.extractLoad);

				const extracted = nodeItems(run, 'Watermark Extract');
				// The shipped workflow loads while extracting (Watermark Extract 1.1); the sub-workflow passes the loads through.
				expect(extracted.map((i) => [i.table, i.status]).sort()).toEqual(
					[
						[customers, 'loaded'],
						[ghost, 'failed'],
						[payments, 'loaded'],
					].sort(),
				);
				const loaded = nodeItems(run, 'Load each table');
				const byTable = Object.fromEntries(loaded.map((i) => [i.table, i]));
				expect(byTable[customers]).toMatchObject({ status: 'loaded', rowsInCsv: 400, rowsInserted: 400 });
				expect(byTable[payments]).toMatchObject({ status: 'loaded', rowsInCsv: 900, rowsInserted: 900 });
				expect(byTable[ghost]).toMatchObject({ status: 'skipped' });
				expect(String(byTable[ghost].message)).toContain('refunds');

				const summary = nodeItems(run, 'Summary');
				const loadedSummary = summary.find((s) => s.status === 'loaded');
				expect((loadedSummary?.appended_table as string[]).sort()).toEqual([customers, payments].sort());
				expect(loadedSummary?.sum_rowsInserted).toBe(1300);

				expect(await expectBronzeEqualsSource(w.p.src, w.p.wh, 'customers', customers, ['id'])).toBe(400);
				expect(await expectBronzeEqualsSource(w.p.src, w.p.wh, 'payments', payments, ['id'])).toBe(900);

				const log = await runLog(w.p.wh);
				expect(log.filter((l) => l.table_name === customers).map((l) => l.status)).toEqual(['loaded']);
				expect(log.filter((l) => l.table_name === payments).map((l) => l.status)).toEqual(['loaded']);
				const ghostRuns = log.filter((l) => l.table_name === ghost);
				expect(ghostRuns.map((l) => l.status)).toEqual(['failed']);
				expect(ghostRuns[0].error_message).toMatch(/refunds/);
				// The run log ties each run to the n8n execution that did it.
				for (const l of log) expect(l.n8n_execution_id).toMatch(/^\d+$/);
				// Loaded CSVs in processed/ (written there directly by the one-pass load), nothing left waiting in exports/.
				expect(await w.p.listKeys(`${w.p.store.prefix}/exports/`)).toEqual([]);
				expect((await w.p.listKeys(`${w.p.store.prefix}/processed/`)).length).toBe(2);
			},
			TIMEOUT,
		);

		test(
			'the next run loads only what changed: updates win, new rows append, watermarks move forward',
			async () => {
				const before = await w.p.wh.query<{ table_name: string; last_extracted_at: string }>(
					`SELECT table_name, last_extracted_at::text FROM dwh_control.extract_watermarks ORDER BY 1`,
				);
				await w.p.src.query(`UPDATE customers SET full_name = full_name || ' (moved to Durban)', updated_at = clock_timestamp() WHERE id % 10 = 0`);
				await insertCustomers(w.p.src, 401, 25);
				await insertPayments(w.p.src, 120);
				const run = await runWorkflow(w.inst, WORKFLOW_IDS.extractLoad);
				const byTable = Object.fromEntries(nodeItems(run, 'Load each table').map((i) => [i.table, i]));
				expect(byTable[customers]).toMatchObject({ status: 'loaded', rowsInCsv: 65, rowsInserted: 25, rowsUpdated: 40 });
				expect(byTable[payments]).toMatchObject({ status: 'loaded', rowsInCsv: 120, rowsInserted: 120 });
				expect(await expectBronzeEqualsSource(w.p.src, w.p.wh, 'customers', customers, ['id'])).toBe(425);
				expect(await expectBronzeEqualsSource(w.p.src, w.p.wh, 'payments', payments, ['id'])).toBe(1020);
				const after = await w.p.wh.query<{ table_name: string; advanced: boolean }>(
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
				await insertPayments(w.p.src, 77);
				// Extract with the core only (as if the load step had crashed): the CSV waits in exports/.
				const ctx = openPipelineContext({ source: w.p.source, warehouse: w.p.warehouse, store: w.p.store });
				const extract = await extractTable(ctx, payments).finally(() => ctx.close());
				expect(extract).toMatchObject({ status: 'uploaded', rows: 77 });
				expect(await w.p.listKeys(`${w.p.store.prefix}/exports/`)).toHaveLength(1);

				// What a user does in the editor: call dwh-load-bronze with table, csvPath, runId and window. The caller
				// reuses the shipped Execute Workflow node, with the inputs typed in instead of mapped from the extract.
				const shipped = readWorkflow(path.join(WORKFLOWS_DIR, 'dwh-extract-load.json'));
				const callNode = structuredClone(shipped.nodes.find((n) => n.name === 'Load each table')!);
				const mapper = callNode.parameters.workflowInputs as { value: Record<string, unknown> };
				mapper.value = { table: payments, csvPath: extract.csvPath, runId: extract.runId, window: extract.window, status: '', message: '' };
				callNode.position = [260, 0];
				await importWorkflowObject(w.inst, {
					id: 'dwhReplayByHand1',
					name: 'Replay a CSV (test)',
					nodes: [
						{
							id: 'c0ffee00-0000-4000-8000-000000000001',
							name: 'Start',
							type: 'n8n-nodes-base.manualTrigger',
							typeVersion: 1,
							position: [0, 0],
							parameters: {},
						},
						callNode,
					],
					connections: { Start: { main: [[{ node: callNode.name, type: 'main', index: 0 }]] } },
					settings: { executionOrder: 'v1' },
				});
				const run = await runWorkflow(w.inst, 'dwhReplayByHand1');
				expect(nodeItems(run, callNode.name)).toEqual([
					expect.objectContaining({ table: payments, runId: extract.runId, status: 'loaded', rowsInCsv: 77, rowsInserted: 77 }),
				]);
				expect(await expectBronzeEqualsSource(w.p.src, w.p.wh, 'payments', payments, ['id'])).toBe(1097);
				expect((await runLog(w.p.wh, payments)).find((l) => Number(l.run_id) === extract.runId)?.status).toBe('loaded');
				expect(await w.p.listKeys(`${w.p.store.prefix}/exports/`)).toEqual([]);

				// Replaying the same CSV again changes nothing.
				const againRun = await runWorkflow(w.inst, 'dwhReplayByHand1');
				expect(nodeItems(againRun, callNode.name)[0]).toMatchObject({ status: expect.stringMatching(/already_loaded|failed/) });
				expect(await expectBronzeEqualsSource(w.p.src, w.p.wh, 'payments', payments, ['id'])).toBe(1097);
			},
			TIMEOUT,
		);
	});
});
