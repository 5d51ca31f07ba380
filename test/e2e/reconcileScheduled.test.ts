import { extractTable } from '../../src/extract/extractTable';
import { loadBronze } from '../../src/load/loadBronze';
import { openPipelineContext } from '../../src/pipeline/context';
import { nodeItems, runWorkflow } from './harness/instance';
import { pipelineSuite } from './harness/pipeline';
import { createSourceTables, insertCustomers, insertPayments } from './harness/warehouseChecks';
import { incremental } from '../harness/registerTable';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * workflows/dwh-reconcile-scheduled.json headless in real n8n 1.123 (Node 20) and 2.41 (Node 24): the tables whose
 * registry reconcile_cadence is due are reconciled (Watermark Extract → Reconcile, Repair on), a planted difference — a
 * row lost from bronze and a row hard-deleted at the source — is found and repaired, a table off the schedule is left
 * alone, and a table just reconciled is not due again within its cadence.
 */
const TIMEOUT = 6 * 60_000;
const WORKFLOW_ID = 'dwhReconcile0001';
describe.each(RUNTIME_KEYS)('dwh-reconcile-scheduled on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'reconcile-scheduled', 'e2e_recon');
	let customers: string;
	let payments: string;

	beforeAll(async () => {
		await createSourceTables(w.p.src);
		await insertCustomers(w.p.src, 1, 300);
		await insertPayments(w.p.src, 200);
		customers = await w.p.register(incremental('upsert', 'customers', 'updated_at', '5 minutes', { reconcile_cadence: '1 hour', on_source_delete: 'mark' }));
		payments = await w.p.register(incremental('append', 'payments', 'created_at', '5 minutes', { reconcile_cadence: null }));
		const ctx = openPipelineContext({ source: w.p.source, warehouse: w.p.warehouse, store: w.p.store });
		try {
			for (const t of [customers, payments]) {
				const ex = await extractTable(ctx, t);
				await loadBronze(ctx, { table: t, runId: ex.runId!, csvPath: ex.csvPath! });
			}
		} finally {
			await ctx.close();
		}
		await w.importShipped(['dwh-reconcile-scheduled.json']);
	}, TIMEOUT);
	test(
		'the due table is reconciled and its planted differences found and repaired; a table off the schedule is left alone',
		async () => {
			await w.p.wh.query(`DELETE FROM raw.${customers} WHERE id = 42`);
			await w.p.src.query(`DELETE FROM customers WHERE id = 7`);
			await w.p.wh.query(`DELETE FROM raw.${payments} WHERE id = 5`);

			const run = await runWorkflow(w.inst, WORKFLOW_ID);
			const items = nodeItems(run, 'Reconcile tables due');
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
			expect(nodeItems(run, 'Differences left or failed')).toEqual([]);

			const findings = await w.p.wh.query(
				`SELECT f.kind, f.key_values, f.action, f.resolved FROM dwh_control.reconcile_findings f JOIN dwh_control.reconcile_runs r USING (reconcile_run_id)
			  WHERE r.table_name = $1 ORDER BY f.kind`,
				[customers],
			);
			expect(findings.rows).toEqual([
				{ kind: 'extra_in_bronze', key_values: ['7'], action: 'marked_deleted', resolved: true },
				{ kind: 'missing_in_bronze', key_values: ['42'], action: 'reextracted', resolved: true },
			]);
			expect((await w.p.wh.query(`SELECT count(*)::int AS n FROM raw.${customers} WHERE id = 42`)).rows[0].n).toBe(1);
			expect((await w.p.wh.query(`SELECT _dwh_deleted_at IS NOT NULL AS marked FROM raw.${customers} WHERE id = 7`)).rows).toEqual([{ marked: true }]);
			// Off the schedule: not reconciled, its lost row still lost.
			expect((await w.p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.reconcile_runs WHERE table_name = $1`, [payments])).rows[0].n).toBe(0);
			expect((await w.p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.v_pipeline_alerts WHERE area = 'reconcile'`)).rows[0].n).toBe(0);
		},
		TIMEOUT,
	);

	test(
		'within its cadence the table is not due again: the next hourly run reconciles nothing',
		async () => {
			const run = await runWorkflow(w.inst, WORKFLOW_ID);
			expect(nodeItems(run, 'Reconcile tables due')).toEqual([]);
			expect((await w.p.wh.query(`SELECT count(*)::int AS n FROM dwh_control.reconcile_runs`)).rows[0].n).toBe(1);
		},
		TIMEOUT,
	);
});
