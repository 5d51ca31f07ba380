import { WatermarkExtract } from '../../../nodes/WatermarkExtract/WatermarkExtract.node';
import { listReconcileDue } from '../../../src/reconcile/reconcileDue';
import { executeNode, objectStoreCredential, postgresCredential } from '../nodes/nodeHarness';
import { createReconcileWorld, type ReconcileWorld } from './world';

/**
 * Watermark Extract's Reconcile operation, run as n8n runs it (parameters through n8n-workflow's expression
 * resolution) with the documented logins: the replica login for the source, the ETL login for the warehouse.
 */
let w: ReconcileWorld;
let hourly: string;
let nightly: string;
let off: string;
let snapshot: string;
const node = new WatermarkExtract();
const credentials = () => ({
	dataAcuityPostgres: postgresCredential(w.etl.connection),
	dataAcuityPostgresSource: postgresCredential(w.replica.connection),
	dataAcuityObjectStore: objectStoreCredential(w.ctx.store.cfg),
});
const ITEM_FIELDS = [
	'bronzeRows',
	'bronzeRowsRead',
	'changedDuringRun',
	'comparedUpTo',
	'erasedInBronze',
	'extraInBronze',
	'findingsTruncated',
	'forgottenSubjects',
	'message',
	'missingInBronze',
	'rangesCompared',
	'reconcileRunId',
	'repair',
	'repairRunId',
	'sourceRows',
	'sourceRowsRead',
	'staleInBronze',
	'status',
	'table',
	'unresolved',
	'watermark',
].sort();

beforeAll(async () => {
	w = await createReconcileWorld('recon_node');
	for (const t of ['small', 'big', 'quiet']) {
		await w.src.query(`CREATE TABLE public.${t} (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL)`);
		await w.src.query(
			`INSERT INTO public.${t} SELECT g, 'u' || g || '@example.co.za', now() - interval '1 day' + g * interval '1 second' FROM generate_series(1, 200) g`,
		);
	}
	await w.src.query(`CREATE TABLE public.dims (id int PRIMARY KEY, name text)`);
	await w.grantReplica();
	const entry = { mode: 'incremental' as const, load_strategy: 'upsert' as const, watermark_column: 'updated_at', key_columns: ['id'], cadence: '15 minutes' };
	hourly = await w.register({ ...entry, source_table: 'small', reconcile_cadence: '1 hour' });
	nightly = await w.register({ ...entry, source_table: 'big', reconcile_cadence: '1 day' });
	off = await w.register({ ...entry, source_table: 'quiet', reconcile_cadence: null });
	snapshot = await w.register({ source_table: 'dims', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' });
	for (const t of [hourly, nightly, off]) await w.extractAndLoad(t);
});
afterAll(() => w?.close());

test('"All Tables Due Now" reconciles each table whose reconcile_cadence has elapsed, one item of counts per table', async () => {
	await w.wh.query(`DELETE FROM raw.${nightly} WHERE id = 17`);
	const [items] = await executeNode({
		nodeType: node,
		parameters: { operation: 'reconcile', selection: 'due' },
		credentials: credentials(),
		executionId: '7001',
	});
	expect(items.map((i) => [i.json.table, i.json.status])).toEqual([
		[nightly, 'differences'],
		[hourly, 'matched'],
	]);
	for (const i of items) expect(Object.keys(i.json).sort()).toEqual(ITEM_FIELDS);
	expect(items[0].json).toMatchObject({
		repair: false,
		missingInBronze: 1,
		extraInBronze: 0,
		staleInBronze: 0,
		unresolved: 1,
		sourceRows: 200,
		bronzeRows: 199,
	});
	// Counts only: no key and no row value leaves the warehouse in the item.
	expect(JSON.stringify(items)).not.toMatch(/example\.co\.za|"17"|\[17\]/);
	expect(
		(await w.wh.query(`SELECT n8n_execution_id FROM dwh_control.reconcile_runs WHERE reconcile_run_id = $1`, [items[0].json.reconcileRunId])).rows[0]
			.n8n_execution_id,
	).toBe('7001');

	// Nothing is due again until its cadence has elapsed (five minutes of grace for the scheduler).
	expect(await listReconcileDue(w.as.warehouse)).toEqual([]);
	await w.wh.query(`UPDATE dwh_control.reconcile_runs SET run_started_at = run_started_at - interval '56 minutes'`);
	expect(await listReconcileDue(w.as.warehouse)).toEqual([hourly]);
	await w.wh.query(`UPDATE dwh_control.reconcile_runs SET run_started_at = run_started_at - interval '1 day'`);
	expect(await listReconcileDue(w.as.warehouse)).toEqual([nightly, hourly]);
});

test('"One Table" with Repair re-extracts what is missing and reports counts', async () => {
	const [[item]] = await executeNode({
		nodeType: node,
		parameters: { operation: 'reconcile', selection: 'table', table: nightly, repair: true },
		credentials: credentials(),
	});
	expect(item.json).toMatchObject({ table: nightly, status: 'repaired', repair: true, missingInBronze: 1, unresolved: 0, repairRunId: expect.any(Number) });
	expect(item.json.message).toMatch(/^repair run \d+: 1 inserted, 0 updated, 0 unchanged$/);
	expect((await w.wh.query(`SELECT email FROM raw.${nightly} WHERE id = 17`)).rows).toEqual([{ email: 'u17@example.co.za' }]);
});

test('a table that cannot be reconciled is a failed item, or fails the node with Fail Node on Table Failure', async () => {
	const params = { operation: 'reconcile', selection: 'table', table: snapshot };
	const [[item]] = await executeNode({ nodeType: node, parameters: params, credentials: credentials() });
	expect(item.json).toMatchObject({ table: snapshot, status: 'failed', reconcileRunId: null, sourceRows: null });
	expect(item.json.message).toBe(`${snapshot} is a snapshot table: every load replaces bronze with the whole source table, so there is nothing to reconcile`);
	await expect(executeNode({ nodeType: node, parameters: { ...params, options: { failOnTableFailure: true } }, credentials: credentials() })).rejects.toThrow(
		`1 of 1 table(s) failed to reconcile: ${snapshot}`,
	);
});

test('saved Extract workflows (no operation parameter) still extract', async () => {
	await w.src.query(`INSERT INTO public.quiet VALUES (201, 'new@example.co.za', now())`);
	const [[item]] = await executeNode({ nodeType: node, parameters: { selection: 'table', table: off }, credentials: credentials() });
	expect(item.json).toMatchObject({ table: off, status: 'uploaded', rows: 1 });
});
