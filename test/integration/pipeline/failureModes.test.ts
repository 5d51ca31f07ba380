import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze, LoadError } from '../../../src/load/loadBronze';
import { openPipelineContext } from '../../../src/pipeline/context';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

let w: World;
let table: string;

const bronzeCount = async () => (await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n as number;
const sourceCount = async () => (await w.src.query(`SELECT count(*)::int AS n FROM public.transactions`)).rows[0].n as number;
const runOf = async (runId: number | null) =>
	(await w.wh.query(`SELECT status, error_message, csv_moved_at IS NOT NULL AS moved FROM dwh_control.extract_runs WHERE run_id = $1`, [runId])).rows[0];
const watermark = async () =>
	(await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w as string;
const addRows = (from: number, to: number) =>
	w.src.query(`INSERT INTO public.transactions (id, amount_zar) SELECT g, g / 100.0 FROM generate_series($1::int, $2::int) g`, [from, to]);

beforeAll(async () => {
	w = await createWorld('failures');
	await w.src.query(`CREATE TABLE public.transactions (id bigint PRIMARY KEY, amount_zar numeric(14,2), created_at timestamptz NOT NULL DEFAULT now())`);
	table = await w.register(incremental('append', 'transactions', 'created_at', '5 minutes', { lookback: '1 minute' }));
});
afterAll(() => w.close());

test('loading the same CSV twice changes nothing the second time', async () => {
	await addRows(1, 100);
	const ex = await extractTable(w.ctx, table);
	const first = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	const wm = await watermark();
	const again = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	expect(first.rowsInserted).toBe(100);
	expect(again.status).toBe('already_loaded');
	expect(again.rowsInserted).toBe(0);
	expect(await bronzeCount()).toBe(100);
	expect(await watermark()).toBe(wm);
});

test('table names and CSV paths that try SQL injection or ../ traversal are refused before touching data', async () => {
	const ex = await (async () => {
		await addRows(101, 110);
		return extractTable(w.ctx, table);
	})();
	await expect(extractTable(w.ctx, `${table}; DROP TABLE dwh_control.extract_runs; --`)).rejects.toThrow(/not in dwh_control.source_tables/);
	await expect(loadBronze(w.ctx, { table: `x"; DROP SCHEMA raw CASCADE; --`, runId: ex.runId!, csvPath: ex.csvPath! })).rejects.toThrow(
		/table must be a lower-case SQL identifier/,
	);
	const base = `s3://${w.ctx.store.cfg.bucket}/dataacuity`;
	const bad = [
		`${base}/exports/${table}/../../processed/${table}/x.csv`,
		`${base}/exports/${table}/%2e%2e/secret.csv`,
		`${base}/processed/${table}/old.csv`,
		`${base}/exports/other_table/file.csv`,
		`s3://another-bucket/dataacuity/exports/${table}/f.csv`,
		`/etc/passwd`,
		`${base}/exports/${table}/f.txt`,
	];
	for (const csvPath of bad) {
		await expect(loadBronze(w.ctx, { table, runId: ex.runId!, csvPath })).rejects.toThrow(/csvPath/);
	}
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM dwh_control.extract_runs`)).rows[0].n).toBeGreaterThan(0);
	expect((await runOf(ex.runId)).status).toBe('uploaded'); // untouched by all the refused attempts
	const ok = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	expect(ok.rowsInserted).toBe(10);
});

test('a CSV altered after upload (malformed, truncated or edited) fails the run, rolls back and stays in exports/', async () => {
	await addRows(111, 120);
	const before = await bronzeCount();
	const wmBefore = await watermark();
	const ex = await extractTable(w.ctx, table);
	const key = w.ctx.store.parseCsvPath(table, ex.csvPath!);
	const put = (body: string) => w.ctx.store.client.send(new PutObjectCommand({ Bucket: w.ctx.store.cfg.bucket, Key: key, Body: body }));

	await put('id,amount_zar,created_at\n111,"unterminated,2026-01-01\n');
	await expect(loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).rejects.toThrow(/failed and was rolled back/);
	expect(await runOf(ex.runId)).toMatchObject({ status: 'failed', moved: false });
	expect((await runOf(ex.runId)).error_message).toMatch(/unterminated CSV quoted field|rows but the extract recorded/);

	await put('id,amount_zar,created_at\n111,1.11,2026-01-01 00:00:00+00\n');
	await expect(loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).rejects.toThrow(`CSV has 1 rows but the extract recorded ${ex.rows}`);

	await put('wrong,header,names\n');
	await expect(loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).rejects.toThrow(/column name mismatch|header/i);

	expect(await bronzeCount()).toBe(before);
	expect(await watermark()).toBe(wmBefore);
	expect(await w.ctx.store.size(key)).not.toBeNull();

	// The next extract re-reads the same window (watermark did not move) and the rows arrive exactly once.
	const next = await extractTable(w.ctx, table);
	expect(next.rows).toBeGreaterThanOrEqual(10);
	await loadBronze(w.ctx, { table, runId: next.runId!, csvPath: next.csvPath! });
	expect(await bronzeCount()).toBe(before + 10);
});

test('crash after commit but before the move: the run is loaded once and the next load finishes the move', async () => {
	await addRows(121, 130);
	const ex = await extractTable(w.ctx, table);
	// Simulate the crash: a store whose copy fails after the load committed.
	const brokenMove = openPipelineContext({ source: w.source, warehouse: w.warehouse, store: { ...w.ctx.store.cfg, endpoint: 'http://127.0.0.1:9' } });
	brokenMove.store.download = w.ctx.store.download.bind(w.ctx.store);
	try {
		const ld = await loadBronze(brokenMove, { table, runId: ex.runId!, csvPath: ex.csvPath! });
		expect(ld.status).toBe('loaded');
		expect(ld.message).toMatch(/moving the CSV to processed\/ failed/);
	} finally {
		await brokenMove.close();
	}
	expect(await runOf(ex.runId)).toMatchObject({ status: 'loaded', moved: false });
	const count = await bronzeCount();

	await addRows(131, 135);
	const next = await extractTable(w.ctx, table);
	const ld2 = await loadBronze(w.ctx, { table, runId: next.runId!, csvPath: next.csvPath! });
	expect(ld2.rowsInserted).toBe(5);
	expect(await bronzeCount()).toBe(count + 5);
	expect(await runOf(ex.runId)).toMatchObject({ status: 'loaded', moved: true });
	expect(await w.ctx.store.size(w.ctx.store.parseCsvPath(table, ex.csvPath!))).toBeNull();
});

test('S3 down during extract: the run fails with the error, nothing is loaded, the watermark stays', async () => {
	await addRows(136, 140);
	const wm = await watermark();
	const down = openPipelineContext({ source: w.source, warehouse: w.warehouse, store: { ...w.ctx.store.cfg, endpoint: 'http://127.0.0.1:9' } });
	try {
		const ex = await extractTable(down, table);
		expect(ex.status).toBe('failed');
		expect(ex.message).toMatch(/ECONNREFUSED|connect/i);
		expect((await runOf(ex.runId)).status).toBe('failed');
	} finally {
		await down.close();
	}
	expect(await watermark()).toBe(wm);
	const ex = await extractTable(w.ctx, table);
	await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table} WHERE id BETWEEN 136 AND 140`)).rows[0].n).toBe(5);
});

test('S3 refusing a multi-part CSV part-way: the COPY stops, the run fails, and the next run re-reads the window', async () => {
	await addRows(1_000_001, 1_250_000); // ~8 MB of CSV: the upload starts only once the first 5 MiB part is full
	const wm = await watermark();
	const refusing = openPipelineContext({ source: w.source, warehouse: w.warehouse, store: { ...w.ctx.store.cfg, bucket: `${w.ctx.store.cfg.bucket}-gone` } });
	try {
		const ex = await extractTable(refusing, table);
		expect(ex.status).toBe('failed');
		expect(ex.message).toMatch(/bucket/i);
		expect((await runOf(ex.runId)).status).toBe('failed');
	} finally {
		await refusing.close();
	}
	// The abandoned COPY left no session behind on the source. The extract closes that connection; the server ends the
	// backend when it next touches the socket, which on a busy machine is a moment later - so wait for it, briefly.
	const copySessions = async () =>
		(
			await w.src.query(
				`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'COPY (%' AND pid <> pg_backend_pid()`,
			)
		).rows[0].n as number;
	const until = Date.now() + 15_000;
	let copies = await copySessions();
	while (copies > 0 && Date.now() < until) {
		await new Promise((r) => setTimeout(r, 250));
		copies = await copySessions();
	}
	expect(copies).toBe(0);
	expect(await watermark()).toBe(wm);
	const ex = await extractTable(w.ctx, table);
	expect(ex.rows).toBeGreaterThanOrEqual(250_000);
	const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	expect(ld.status).toBe('loaded');
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table} WHERE id > 1000000`)).rows[0].n).toBe(250_000);
});

test('warehouse down: extract and load throw a clear error and lose nothing', async () => {
	const down = openPipelineContext({ source: w.source, warehouse: { ...w.warehouse, port: 9 }, store: w.ctx.store.cfg });
	try {
		await expect(extractTable(down, table)).rejects.toThrow(/ECONNREFUSED|connect/);
		await expect(loadBronze(down, { table, runId: 1, csvPath: `s3://${w.ctx.store.cfg.bucket}/dataacuity/exports/${table}/x.csv` })).rejects.toThrow(
			/ECONNREFUSED|connect/,
		);
	} finally {
		await down.close();
	}
	await addRows(141, 142);
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	expect((await w.src.query(`SELECT count(*)::int AS n FROM public.transactions`)).rows[0].n).toBe(await bronzeCount());
});

test('a second extract while a run waits for its load is skipped with a reason; a dead extractor is failed, not waited for', async () => {
	await addRows(143, 150);
	const first = await extractTable(w.ctx, table);
	const second = await extractTable(w.ctx, table);
	expect(second.status).toBe('skipped');
	expect(second.message).toMatch(new RegExp(`run ${first.runId} \\(uploaded\\) has not been loaded yet`));
	await loadBronze(w.ctx, { table, runId: first.runId!, csvPath: first.csvPath! });

	// An extractor that died mid-run leaves 'extracting' behind without holding the table lock.
	const ghost = (
		await w.wh.query(`INSERT INTO dwh_control.extract_runs (table_name, status, mode) VALUES ($1, 'extracting', 'incremental') RETURNING run_id`, [table])
	).rows[0].run_id;
	const third = await extractTable(w.ctx, table);
	expect(third.status).toBe('uploaded');
	expect(await runOf(ghost)).toMatchObject({ status: 'failed' });
	expect((await runOf(ghost)).error_message).toMatch(/abandoned/);
	await loadBronze(w.ctx, { table, runId: third.runId!, csvPath: third.csvPath! });
	expect(await bronzeCount()).toBe(await sourceCount());
});

test('a load error names the run, rolls back and tells the user what to do', async () => {
	const err = await loadBronze(w.ctx, { table, runId: 999999, csvPath: `s3://${w.ctx.store.cfg.bucket}/dataacuity/exports/${table}/x.csv` }).catch((e) => e);
	expect(err).toBeInstanceOf(LoadError);
	expect(err.message).toBe('Run 999999 does not exist in dwh_control.extract_runs');
	expect(err.hint).toMatch(/runId output by WatermarkExtract/);
});

test('a CSV that vanished from the object store fails the load at once (no hang, no held lock); the run can be re-extracted', async () => {
	await addRows(151, 160);
	const ex = await extractTable(w.ctx, table);
	const key = w.ctx.store.parseCsvPath(table, ex.csvPath!);
	await w.ctx.store.client.send(new DeleteObjectCommand({ Bucket: w.ctx.store.cfg.bucket, Key: key }));
	const started = Date.now();
	const err = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath!, executionId: 'exec-42' }).catch((e) => e);
	expect(err).toBeInstanceOf(LoadError);
	expect(Date.now() - started).toBeLessThan(30_000);
	const run = (await w.wh.query(`SELECT status, load_execution_id FROM dwh_control.extract_runs WHERE run_id = $1`, [ex.runId])).rows[0];
	expect(run).toEqual({ status: 'failed', load_execution_id: 'exec-42' });
	// The table is not left locked: the next extract re-reads the window (lookback + ON CONFLICT) and loads it.
	const next = await extractTable(w.ctx, table);
	expect(next.status).toBe('uploaded');
	await loadBronze(w.ctx, { table, runId: next.runId!, csvPath: next.csvPath! });
	expect(await bronzeCount()).toBe(await sourceCount());
});
