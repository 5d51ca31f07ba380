import { DeleteObjectCommand } from '@aws-sdk/client-s3';
import { NodeApiError, NodeOperationError, type INodeExecutionData } from 'n8n-workflow';
import { BlobLoadBronze } from '../../../nodes/BlobLoadBronze/BlobLoadBronze.node';
import { WatermarkExtract } from '../../../nodes/WatermarkExtract/WatermarkExtract.node';
import { freePort } from '../../../src/devstack/freePort';
import { createWorld, type World } from '../pipeline/world';
import { executeNode, objectStoreCredential, postgresCredential, prepareNode } from './nodeHarness';
import { incremental } from '../../harness/registerTable';

let w: World;
let users: string;
let broken: string;
let credentials: ReturnType<typeof creds>;

const extract = new WatermarkExtract();
const load = new BlobLoadBronze();

function creds() {
	return {
		dataAcuityPostgres: postgresCredential(w.warehouse),
		dataAcuityPostgresSource: postgresCredential(w.source),
		dataAcuityObjectStore: objectStoreCredential(w.ctx.store.cfg),
	};
}

const EXTRACT_FIELDS = ['bytes', 'csvPath', 'message', 'rows', 'runId', 'sha256', 'status', 'table', 'window'];

async function runStatus(runId: unknown) {
	const { rows } = await w.wh.query(`SELECT status, n8n_execution_id FROM dwh_control.extract_runs WHERE run_id = $1`, [runId]);
	return rows[0];
}

beforeAll(async () => {
	w = await createWorld('nodes');
	await w.src.query(`CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.users (id, email, updated_at)
		SELECT g, 'user' || g || '@example.co.za', now() - interval '1 hour' + g * interval '1 second' FROM generate_series(1, 120) g`);
	users = await w.register(incremental('upsert', 'users', 'updated_at', '15 minutes'));
	// Registered, but the source table was never created: its extract fails.
	broken = await w.register(incremental('append', 'missing_orders', 'created_at', '15 minutes'));
	credentials = creds();
});
afterAll(() => w.close());

describe('WatermarkExtract → BlobLoadBronze', () => {
	let extracted: INodeExecutionData[];

	test('"all tables due" gives one item per table, a failed table as an item, and records the execution id', async () => {
		const [items] = await executeNode({ nodeType: extract, parameters: { selection: 'due' }, credentials, executionId: '9001' });
		extracted = items;
		expect(items.map((i) => [i.json.table, i.json.status])).toEqual([
			[broken, 'failed'],
			[users, 'uploaded'],
		]);
		for (const item of items) {
			expect(Object.keys(item.json).sort()).toEqual(EXTRACT_FIELDS);
			expect(item.pairedItem).toEqual({ item: 0 });
		}
		const ok = items[1].json;
		expect(ok.rows).toBe(120);
		expect(ok.csvPath).toMatch(new RegExp(`^s3://${w.ctx.store.cfg.bucket}/dataacuity/exports/${users}/\\d{8}_\\d{4}_SAST_${ok.runId}\\.csv$`));
		expect(ok.sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(items[0].json.message).toMatch(/missing_orders not found/);
		expect(await runStatus(ok.runId)).toEqual({ status: 'uploaded', n8n_execution_id: '9001' });
		expect(await runStatus(items[0].json.runId)).toEqual({ status: 'failed', n8n_execution_id: '9001' });
	});

	test('BlobLoadBronze loads the uploaded item and passes the failed one through as skipped', async () => {
		const [items] = await executeNode({ nodeType: load, credentials, input: extracted, executionId: '9002' });
		expect(items).toHaveLength(2);
		expect(items[0].pairedItem).toEqual({ item: 0 });
		expect(items[0].json).toMatchObject({ table: broken, status: 'skipped', rowsInserted: 0 });
		expect(items[0].json.message).toMatch(/^not loaded: the extract was failed: .*missing_orders not found/);
		expect(items[1].pairedItem).toEqual({ item: 1 });
		expect(items[1].json).toMatchObject({ table: users, runId: extracted[1].json.runId, status: 'loaded', rowsInCsv: 120, rowsInserted: 120, rowsUpdated: 0 });
		expect(items[1].json.processedPath).toBe(String(extracted[1].json.csvPath).replace('/exports/', '/processed/'));
		expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${users}`)).rows[0].n).toBe(120);
		expect((await runStatus(extracted[1].json.runId)).status).toBe('loaded');
	});

	test('loading the same item again changes nothing and says so', async () => {
		const [items] = await executeNode({ nodeType: load, credentials, input: [extracted[1]] });
		expect(items[0].json).toMatchObject({ status: 'already_loaded', rowsInserted: 0 });
		expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${users}`)).rows[0].n).toBe(120);
	});

	test('one table by name extracts it now, whatever its cadence; the increment loads through explicit fields', async () => {
		await w.src.query(`UPDATE public.users SET email = 'new' || id || '@example.co.za', updated_at = now() WHERE id <= 3`);
		const [ex] = await executeNode({ nodeType: extract, parameters: { selection: 'table', table: users }, credentials });
		expect(ex).toHaveLength(1);
		expect(ex[0].json).toMatchObject({ table: users, status: 'uploaded', rows: 3 });
		// The replay path: fields typed in (or mapped from an Execute Workflow trigger) instead of $json defaults.
		const [ld] = await executeNode({
			nodeType: load,
			parameters: { table: users, runId: String(ex[0].json.runId), csvPath: String(ex[0].json.csvPath), extractStatus: '' },
			credentials,
		});
		expect(ld[0].json).toMatchObject({ status: 'loaded', rowsUpdated: 3, rowsInserted: 0 });
		expect((await w.wh.query(`SELECT email FROM raw.${users} WHERE id = 2`)).rows[0].email).toBe('new2@example.co.za');
	});

	test('the table can come from an expression over the input item', async () => {
		const [ex] = await executeNode({
			nodeType: extract,
			parameters: { selection: 'table', table: '={{ $json.which }}' },
			input: [{ json: { which: users } }],
			credentials,
		});
		expect(ex[0].json).toMatchObject({ table: users, status: 'uploaded', rows: 0 });
		await executeNode({ nodeType: load, credentials, input: ex });
	});

	test('Load While Extracting loads in the same pass; BlobLoadBronze passes the loaded item through without loading it again', async () => {
		await w.src.query(`UPDATE public.users SET email = 'again' || id || '@example.co.za', updated_at = now() WHERE id <= 5`);
		const [ex] = await executeNode({
			nodeType: extract,
			parameters: { selection: 'table', table: users, options: { loadWhileExtracting: true } },
			credentials,
			executionId: '9003',
		});
		expect(Object.keys(ex[0].json).sort()).toEqual([...EXTRACT_FIELDS, 'load'].sort());
		expect(ex[0].json).toMatchObject({ table: users, status: 'loaded', rows: 5 });
		expect(ex[0].json.csvPath).toMatch(new RegExp(`/dataacuity/processed/${users}/`));
		expect(ex[0].json.load).toMatchObject({
			table: users,
			runId: ex[0].json.runId,
			status: 'loaded',
			rowsInCsv: 5,
			rowsUpdated: 5,
			processedPath: ex[0].json.csvPath,
		});
		expect(await runStatus(ex[0].json.runId)).toEqual({ status: 'loaded', n8n_execution_id: '9003' });
		const [ld] = await executeNode({ nodeType: load, credentials, input: ex });
		expect(ld[0].json).toEqual(ex[0].json.load);
		expect((await w.wh.query(`SELECT email FROM raw.${users} WHERE id = 5`)).rows[0].email).toBe('again5@example.co.za');
	});
});

describe('failures the user has to act on', () => {
	test('Fail Node on Table Failure fails the execution naming the table, after every table was tried', async () => {
		await w.wh.query(`UPDATE dwh_control.extract_runs SET run_started_at = run_started_at - interval '1 day'`);
		const run = executeNode({ nodeType: extract, parameters: { selection: 'due', options: { failOnTableFailure: true } }, credentials });
		await expect(run).rejects.toThrow(NodeOperationError);
		await expect(run).rejects.toMatchObject({
			message: `1 of 2 table(s) failed to extract: ${broken}`,
			description: expect.stringMatching(new RegExp(`^${broken} \\(run \\d+\\): .*not found`)),
		});
		// The healthy table was extracted all the same; load it so later tests start clean.
		const { rows } = await w.wh.query(`SELECT run_id, csv_path FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'uploaded'`, [users]);
		expect(rows).toHaveLength(1);
		await executeNode({ nodeType: load, parameters: { table: users, runId: rows[0].run_id, csvPath: rows[0].csv_path }, credentials });
	});

	test('with Continue On Fail the same failure is output as items instead', async () => {
		await w.wh.query(`UPDATE dwh_control.extract_runs SET run_started_at = run_started_at - interval '1 day'`);
		const [items] = await executeNode({
			nodeType: extract,
			parameters: { selection: 'due', options: { failOnTableFailure: true } },
			credentials,
			continueOnFail: true,
		});
		expect(items.map((i) => i.json.status)).toEqual(['failed', 'uploaded']);
		await executeNode({ nodeType: load, credentials, input: items });
	});

	test('filtering "all tables due" by source database leaves other sources alone', async () => {
		await w.wh.query(`UPDATE dwh_control.extract_runs SET run_started_at = run_started_at - interval '1 day'`);
		const [none] = await executeNode({ nodeType: extract, parameters: { selection: 'due', sourceDatabases: ['no_such_db'] }, credentials });
		expect(none).toEqual([]);
		const [mine] = await executeNode({ nodeType: extract, parameters: { selection: 'due', sourceDatabases: [w.source.database] }, credentials });
		expect(mine.map((i) => i.json.table)).toEqual([broken, users]);
		await executeNode({ nodeType: load, credentials, input: mine });
	});

	test('an unknown table fails with a description that says how to fix it; Continue On Fail keeps the pairing', async () => {
		const params = { selection: 'table', table: 'auth_db__nope' };
		await expect(executeNode({ nodeType: extract, parameters: params, credentials })).rejects.toMatchObject({
			constructor: NodeOperationError,
			message: expect.stringContaining('Table "auth_db__nope" is not in dwh_control.source_tables'),
			description: expect.stringContaining('npm run dwh:registry-sync'),
		});
		const [items] = await executeNode({ nodeType: extract, parameters: params, credentials, continueOnFail: true });
		expect(items).toEqual([
			{
				json: { error: expect.stringContaining('auth_db__nope'), description: expect.stringContaining('Choose the table from the list') },
				pairedItem: { item: 0 },
			},
		]);
	});

	test('a bad export time zone names the option', async () => {
		await expect(
			executeNode({ nodeType: extract, parameters: { selection: 'table', table: users, options: { exportTimezone: 'Mars/Olympus' } }, credentials }),
		).rejects.toMatchObject({
			message: expect.stringContaining('"Mars/Olympus" is not an IANA time zone'),
			description: expect.stringContaining('Export Time Zone'),
		});
		const { rows } = await w.wh.query(`SELECT count(*)::int AS n FROM dwh_control.extract_runs WHERE status IN ('extracting', 'uploaded')`);
		expect(rows[0].n).toBe(0);
	});

	test("BlobLoadBronze refuses a csvPath outside the table's exports/ folder before touching anything", async () => {
		const { rows } = await w.wh.query(`SELECT run_id::int FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'loaded' ORDER BY run_id LIMIT 1`, [
			users,
		]);
		const bad = { table: users, runId: String(rows[0].run_id), csvPath: `s3://${w.ctx.store.cfg.bucket}/dataacuity/exports/${users}/../../processed/x.csv` };
		await expect(executeNode({ nodeType: load, parameters: bad, credentials })).rejects.toMatchObject({
			constructor: NodeOperationError,
			message: expect.stringContaining('".." segments'),
			description: expect.stringContaining('Pass the csvPath that WatermarkExtract output'),
		});
		const [items] = await executeNode({ nodeType: load, parameters: bad, credentials, continueOnFail: true });
		expect(items[0].json).toMatchObject({ table: users, runId: rows[0].run_id, status: 'failed', error: expect.stringContaining('".." segments') });
		expect(items[0].pairedItem).toEqual({ item: 0 });
	});

	test('a missing runId is reported by field name', async () => {
		await expect(executeNode({ nodeType: load, parameters: { table: users, runId: '', csvPath: 's3://x/y.csv' }, credentials })).rejects.toMatchObject({
			message: expect.stringMatching(/runId: runId must be the extract run id/),
		});
	});

	test('S3 down at load time fails at once naming the endpoint; the run stays uploaded and the retry loads it', async () => {
		await w.src.query(`UPDATE public.users SET updated_at = now() WHERE id = 50`);
		const [ex] = await executeNode({ nodeType: extract, parameters: { selection: 'table', table: users }, credentials });
		expect(ex[0].json).toMatchObject({ status: 'uploaded', rows: 1 });
		const endpoint = `http://127.0.0.1:${await freePort()}`;
		const s3Down = { ...credentials, dataAcuityObjectStore: { ...credentials.dataAcuityObjectStore, endpoint } };
		const failure = executeNode({ nodeType: load, credentials: s3Down, input: ex });
		await expect(failure).rejects.toThrow(NodeApiError);
		await expect(failure).rejects.toMatchObject({
			message: `Nothing is listening at ${endpoint} — check Endpoint and that the S3 server is running.`,
			description: expect.stringContaining('DataAcuity Object Store credential'),
		});
		expect((await runStatus(ex[0].json.runId)).status).toBe('uploaded');
		const [retry] = await executeNode({ nodeType: load, credentials, input: ex });
		expect(retry[0].json).toMatchObject({ status: 'loaded', rowsUpdated: 1 });
	});

	test('a CSV deleted before its load is reported at once; the run keeps waiting to be abandoned, nothing hangs', async () => {
		await w.src.query(`UPDATE public.users SET updated_at = now() WHERE id = 52`);
		const [ex] = await executeNode({ nodeType: extract, parameters: { selection: 'table', table: users }, credentials });
		const key = w.ctx.store.parseCsvPath(users, String(ex[0].json.csvPath));
		await w.ctx.store.client.send(new DeleteObjectCommand({ Bucket: w.ctx.store.cfg.bucket, Key: key }));
		await expect(executeNode({ nodeType: load, credentials, input: ex })).rejects.toMatchObject({
			constructor: NodeOperationError,
			message: `The CSV of run ${ex[0].json.runId} is missing: ${ex[0].json.csvPath} does not exist`,
			description: expect.stringContaining(`stays 'uploaded' until the next extract of ${users} abandons it`),
		});
		expect((await runStatus(ex[0].json.runId)).status).toBe('uploaded');
		// Let the next extract take over the window, as it would after twice the cadence.
		await w.wh.query(
			`UPDATE dwh_control.extract_runs SET extracted_at = extracted_at - interval '1 hour', run_started_at = run_started_at - interval '1 hour' WHERE run_id = $1`,
			[ex[0].json.runId],
		);
		const [next] = await executeNode({ nodeType: extract, parameters: { selection: 'table', table: users }, credentials });
		expect(next[0].json).toMatchObject({ status: 'uploaded', rows: 1 });
		expect((await executeNode({ nodeType: load, credentials, input: next }))[0][0].json).toMatchObject({ status: 'loaded', rowsUpdated: 1 });
	});

	test('a rejected object-store key at load time says so, with the HTTP status', async () => {
		await w.src.query(`UPDATE public.users SET updated_at = now() WHERE id = 51`);
		const [ex] = await executeNode({ nodeType: extract, parameters: { selection: 'table', table: users }, credentials });
		const badKey = { ...credentials, dataAcuityObjectStore: { ...credentials.dataAcuityObjectStore, accessKeyId: 'NOSUCHKEY0000000' } };
		await expect(executeNode({ nodeType: load, credentials: badKey, input: ex })).rejects.toMatchObject({
			constructor: NodeApiError,
			httpCode: '403',
			message: expect.stringMatching(/^Access to bucket ".*" denied at .* — check Access Key ID and Secret Access Key/),
		});
		expect((await executeNode({ nodeType: load, credentials, input: ex }))[0][0].json.status).toBe('loaded');
	});

	test('a warehouse that is down gives a NodeApiError naming host:port and the credential to check', async () => {
		const port = await freePort();
		const down = { ...credentials, dataAcuityPostgres: { ...credentials.dataAcuityPostgres, port } };
		await expect(executeNode({ nodeType: extract, parameters: { selection: 'due' }, credentials: down })).rejects.toMatchObject({
			constructor: NodeApiError,
			message: `Nothing is listening on 127.0.0.1:${port} — check Host and Port, and that the server is running.`,
			description: expect.stringContaining('DataAcuity Postgres credential'),
		});
	});

	test('an incomplete credential is named with the field the editor shows', async () => {
		const incomplete = { ...credentials, dataAcuityObjectStore: { ...credentials.dataAcuityObjectStore, bucket: '' } };
		await expect(executeNode({ nodeType: load, credentials: incomplete, input: [{ json: {} }] })).rejects.toMatchObject({
			constructor: NodeOperationError,
			message: 'The DataAcuity Object Store credential is incomplete or invalid — Bucket is required',
			description: 'Open the DataAcuity Object Store credential and fix: Bucket.',
		});
		// Continue On Fail: every input item becomes an error item carrying the same explanation.
		const input = [{ json: { table: users, runId: 1, csvPath: 's3://b/x.csv' } }, { json: { table: users, runId: 2, csvPath: 's3://b/y.csv' } }];
		const [items] = await executeNode({ nodeType: load, credentials: incomplete, input, continueOnFail: true });
		expect(items).toEqual(
			[0, 1].map((i) => ({
				json: {
					table: users,
					runId: i + 1,
					status: 'failed',
					error: 'The DataAcuity Object Store credential is incomplete or invalid — Bucket is required',
					description: 'Open the DataAcuity Object Store credential and fix: Bucket.',
				},
				pairedItem: { item: i },
			})),
		);
	});
});

describe('editor dropdowns', () => {
	test('tables and source databases come from the registry', async () => {
		const { fns } = prepareNode({ nodeType: extract, credentials });
		const tables = await extract.methods.loadOptions.getRegisteredTables.call(fns);
		expect(tables).toEqual([
			{ name: broken, value: broken, description: `${w.source.database}.public.missing_orders · incremental · every 00:15:00` },
			{ name: users, value: users, description: `${w.source.database}.public.users · incremental · every 00:15:00` },
		]);
		await w.wh.query(`UPDATE dwh_control.source_tables SET enabled = false WHERE table_name = $1`, [broken]);
		expect((await extract.methods.loadOptions.getRegisteredTables.call(fns))[0].name).toBe(`${broken} (disabled)`);
		await w.wh.query(`UPDATE dwh_control.source_tables SET enabled = true WHERE table_name = $1`, [broken]);
		expect(await extract.methods.loadOptions.getSourceDatabases.call(fns)).toEqual([
			{ name: w.source.database, value: w.source.database, description: '2 registered table(s)' },
		]);
	});
});
