import path from 'node:path';
import { extractTable } from '../../src/extract/extractTable';
import { loadBronze } from '../../src/load/loadBronze';
import { openPipelineContext } from '../../src/pipeline/context';
import { describeRun, executeWorkflow, importWorkflowFiles, newInstance, nodeItems, WORKFLOWS_DIR } from './harness/instance';
import type { N8nInstance } from './harness/n8nProcess';
import { createPipeline, type E2ePipeline } from './harness/pipeline';
import { createSourceTables, insertCustomers, insertPayments } from './harness/warehouseChecks';
import { incremental } from '../harness/registerTable';

/**
 * workflows/dwh-reconcile-scheduled.json headless in real n8n 1.123: the tables whose registry reconcile_cadence is
 * due are reconciled (Watermark Extract → Reconcile, Repair on), a planted difference — a row lost from bronze and a
 * row hard-deleted at the source — is found and repaired, a table off the schedule is left alone, and a table just
 * reconciled is not due again within its cadence.
 */
const TIMEOUT = 6 * 60_000;
const WORKFLOW_ID = 'dwhReconcile0001';
let inst: N8nInstance;
let p: E2ePipeline;
let customers: string;
let payments: string;

beforeAll(async () => {
	inst = newInstance('n8n1', 'reconcile-scheduled')!;
	p = await createPipeline('e2e_recon');
	await createSourceTables(p.src);
	await insertCustomers(p.src, 1, 300);
	await insertPayments(p.src, 200);
	customers = await p.register(incremental('upsert', 'customers', 'updated_at', '5 minutes', { reconcile_cadence: '1 hour', on_source_delete: 'mark' }));
	payments = await p.register(incremental('append', 'payments', 'created_at', '5 minutes', { reconcile_cadence: null }));
	const ctx = openPipelineContext({ source: p.source, warehouse: p.warehouse, store: p.store });
	try {
		for (const t of [customers, payments]) {
			const ex = await extractTable(ctx, t);
			await loadBronze(ctx, { table: t, runId: ex.runId!, csvPath: ex.csvPath! });
		}
	} finally {
		await ctx.close();
	}
	await p.importCredentials(inst);
	await importWorkflowFiles(inst, [path.join(WORKFLOWS_DIR, 'dwh-reconcile-scheduled.json')]);
}, TIMEOUT);
afterAll(async () => {
	await p?.close();
}, 60_000);

test(
	'the due table is reconciled and its planted differences found and repaired; a table off the schedule is left alone',
	async () => {
		await p.wh.query(`DELETE FROM raw.${customers} WHERE id = 42`);
		await p.src.query(`DELETE FROM customers WHERE id = 7`);
		await p.wh.query(`DELETE FROM raw.${payments} WHERE id = 5`);

		const r = await executeWorkflow(inst, WORKFLOW_ID);
		if (!r.ok) throw new Error(describeRun(r));
		const items = nodeItems(r.output!, 'Reconcile tables due');
		expect(items).toHaveLength(1);
		expect(items[0]).toMatchObject({
			table: customers,
			status: 'repaired',
			repair: true,
			missingInBronze: 1,
			extraInBronze: 1,
			staleInBronze: 0,
			unresolved: 0,
			sourceRows: 299,
			bronzeRows: 299,
		});
		expect(JSON.stringify(items)).not.toMatch(/@|full_name/);
		expect(nodeItems(r.output!, 'Differences left or failed')).toEqual([]);

		const findings = await p.wh.query(
			`SELECT f.kind, f.key_values, f.action, f.resolved FROM dwh_control.reconcile_findings f JOIN dwh_control.reconcile_runs r USING (reconcile_run_id)
		  WHERE r.table_name = $1 ORDER BY f.kind`,
			[customers],
		);
		expect(findings.rows).toEqual([
			{ kind: 'extra_in_bronze', key_values: ['7'], action: 'marked_deleted', resolved: true },
			{ kind: 'missing_in_bronze', key_values: ['42'], action: 'reextracted', resolved: true },
		]);
		expect((await p.wh.query(`SELECT count(*)::int AS n FROM raw.${customers} WHERE id = 42`)).rows[0].n).toBe(1);
		expect((await p.wh.query(`SELECT _dwh_deleted_at IS NOT NULL AS marked FROM raw.${customers} WHERE id = 7`)).rows).toEqual([{ marked: true }]);
		// Off the schedule: not reconciled, its lost row still lost.
		expect((await p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.reconcile_runs WHERE table_name = $1`, [payments])).rows[0].n).toBe(0);
		expect((await p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.v_pipeline_alerts WHERE area = 'reconcile'`)).rows[0].n).toBe(0);
	},
	TIMEOUT,
);

test(
	'within its cadence the table is not due again: the next hourly run reconciles nothing',
	async () => {
		const r = await executeWorkflow(inst, WORKFLOW_ID);
		if (!r.ok) throw new Error(describeRun(r));
		expect(nodeItems(r.output!, 'Reconcile tables due')).toEqual([]);
		expect((await p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.reconcile_runs`)).rows[0].n).toBe(1);
	},
	TIMEOUT,
);
