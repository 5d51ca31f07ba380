import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { extractAndLoadTable } from '../../../src/pipeline/extractAndLoad';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

/**
 * The overlapped extract+load killed at every point that matters (a worker SIGKILLed, a server ending the session
 * mid-transfer), then run again until quiet: bronze must equal the source row for row, processed/ must hold exactly
 * the CSVs of loaded runs (byte-identical to their recorded sha256), exports/ nothing, and the watermark must only
 * move forward.
 */
let w: World;
const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CHILD = path.join(__dirname, 'killPoint.child.ts');

beforeAll(async () => {
	w = await createWorld('overlap_faults');
});
afterAll(() => w.close());

async function sourceTable(name: string, rows: number): Promise<string> {
	await w.src.query(`CREATE TABLE public.${name} (id bigint PRIMARY KEY, v text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
	await addRows(name, 1, rows);
	return w.register(incremental('upsert', name, 'updated_at', '5 minutes', { lookback: '1 minute', safety_lag: '0 seconds' }));
}
// ~90 bytes a row: 100,000 rows make a two-part multipart upload.
const addRows = (name: string, from: number, to: number) =>
	w.src.query(`INSERT INTO public.${name} (id, v) SELECT g, repeat(md5(g::text), 2) || ',"q"' FROM generate_series($1::int, $2::int) g`, [from, to]);

/** Whether the worker died of SIGKILL (tsx runs it in a child node process and exits 128 + 9 when it is killed). */
function runChild(table: string, point: string): Promise<{ killed: boolean; stderr: string }> {
	const config = { source: w.source, warehouse: w.warehouse, store: w.ctx.store.cfg, exportTimezone: 'Africa/Johannesburg' };
	return new Promise((resolve) => {
		execFile(
			TSX,
			[CHILD],
			{ cwd: ROOT, env: { ...process.env, DWH_KILL_POINT: point, DWH_KILL_TABLE: table, DWH_KILL_CONFIG: JSON.stringify(config) }, timeout: 120_000 },
			(err, _out, stderr) => {
				const e = err as (Error & { signal?: NodeJS.Signals; code?: number }) | null;
				resolve({ killed: e?.signal === 'SIGKILL' || e?.code === 137, stderr });
			},
		);
	});
}

const runs = async (table: string) =>
	(
		await w.wh.query(
			`SELECT run_id::int, status, csv_path, processed_path, csv_sha256, error_message FROM dwh_control.extract_runs WHERE table_name = $1 ORDER BY run_id`,
			[table],
		)
	).rows;
const keys = (folder: string, table: string) => w.ctx.store.list(`dataacuity/${folder}/${table}/`);
const watermark = async (table: string) =>
	(await w.wh.query(`SELECT last_extracted_at AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w as Date;

/** Runs the overlapped extract+load until it loads (a crashed worker's session may take a moment to end). */
async function loadUntilQuiet(table: string) {
	const until = Date.now() + 30_000;
	for (;;) {
		const r = await extractAndLoadTable(w.ctx, table);
		if (r.status === 'loaded' || Date.now() > until) return r;
		await new Promise((res) => setTimeout(res, 250));
	}
}

async function expectConsistent(table: string, source: string): Promise<void> {
	const agg = `SELECT count(*)::int AS n, md5(string_agg(id || ':' || v, ',' ORDER BY id)) AS h FROM`;
	expect((await w.wh.query(`${agg} raw.${table}`)).rows[0]).toEqual((await w.src.query(`${agg} public.${source}`)).rows[0]);
	const all = await runs(table);
	const loaded = all.filter((r) => r.status === 'loaded');
	expect(all.filter((r) => !['loaded', 'failed', 'skipped'].includes(r.status))).toEqual([]);
	// processed/ holds exactly the loaded runs' CSVs, each the bytes its run recorded; exports/ holds nothing.
	const bucket = `s3://${w.ctx.store.cfg.bucket}/`;
	expect((await keys('processed', table)).map((k) => bucket + k).sort()).toEqual(loaded.map((r) => r.processed_path).sort());
	expect(await keys('exports', table)).toEqual([]);
	for (const r of loaded) {
		const h = createHash('sha256');
		for await (const c of await w.ctx.store.download(r.processed_path.slice(bucket.length))) h.update(c as Buffer);
		expect(h.digest('hex')).toBe(r.csv_sha256);
	}
}

describe.each([
	['mid-stream', 'extracting', 0],
	['before-complete', 'extracting', 0],
	['after-complete', 'extracting', 1],
	['after-commit', 'loaded', 1],
])('worker killed %s', (point, statusAfterKill, objectsAfterKill) => {
	test('the next runs load every row exactly once and processed/ holds only loaded CSVs', async () => {
		const name = `kill_${point.replace(/-/g, '_')}`;
		const table = await sourceTable(name, 100_000);
		// A loaded run first, so the killed one is an incremental window over a populated bronze table (stage + merge).
		expect((await extractAndLoadTable(w.ctx, table)).status).toBe('loaded');
		const wmBefore = await watermark(table);
		await w.src.query(`UPDATE public.${name} SET v = v || '+', updated_at = now() WHERE id % 2 = 0`);
		await addRows(name, 100_001, 120_000);

		const child = await runChild(table, point);
		expect({ killed: child.killed, stderr: child.stderr.includes('Error') ? child.stderr : '' }).toEqual({ killed: true, stderr: '' });
		const killed = (await runs(table)).at(-1)!;
		expect(killed.status).toBe(statusAfterKill);
		expect((await keys('processed', table)).length).toBe(1 + objectsAfterKill);
		if (statusAfterKill !== 'loaded') expect(await watermark(table)).toEqual(wmBefore);

		await addRows(name, 120_001, 120_500);
		const next = await loadUntilQuiet(table);
		expect(next.status).toBe('loaded');
		expect((await watermark(table)).getTime()).toBeGreaterThan(wmBefore.getTime());
		const after = (await runs(table)).find((r) => r.run_id === killed.run_id)!;
		if (statusAfterKill === 'extracting') {
			expect(after.status).toBe('failed');
			expect(after.error_message).toMatch(/^abandoned/);
			if (objectsAfterKill) expect(after.error_message).toMatch(/never-loaded CSV .* was removed from processed\//);
		}
		await expectConsistent(table, name);
	});
});

describe.each([
	['source', `datname = $1 AND query LIKE 'COPY (SELECT%'`],
	['warehouse', `datname = $1 AND query LIKE 'COPY % FROM STDIN%'`],
])('the %s server ends the session mid-transfer', (side, where) => {
	test('the run fails, nothing is loaded or left in processed/, and the next run loads every row once', async () => {
		const name = `terminated_${side}`;
		const table = await sourceTable(name, 400_000);
		const db = side === 'source' ? w.source.database : w.warehouse.database;
		const admin = side === 'source' ? w.src : w.wh;
		let terminated = 0;
		let watching = true;
		const killer = (async () => {
			while (watching && terminated === 0) {
				const { rows } = await admin.query(`SELECT pid FROM pg_stat_activity WHERE ${where} AND pid <> pg_backend_pid()`, [db]);
				for (const r of rows) if ((await admin.query(`SELECT pg_terminate_backend($1) AS t`, [r.pid])).rows[0].t) terminated += 1;
				await new Promise((res) => setTimeout(res, 20));
			}
		})();
		const r = await extractAndLoadTable(w.ctx, table).finally(() => (watching = false));
		await killer;
		expect(terminated).toBe(1);
		expect(r.status).toBe('failed');
		expect(await keys('processed', table)).toEqual([]);
		const next = await loadUntilQuiet(table);
		expect(next.load).toMatchObject({ status: 'loaded', rowsInserted: 400_000 });
		await expectConsistent(table, name);
	});
});
