import { createHash } from 'node:crypto';
import { loadBronze } from '../../../src/load/loadBronze';
import { extractDueTables } from '../../../src/extract/extractDue';
import { extractAndLoadDueTables, extractAndLoadTable } from '../../../src/pipeline/extractAndLoad';
import { openPipelineContext } from '../../../src/pipeline/context';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

/**
 * The overlapped path (issue 13 item 2): COPY out of the source feeds the upload and the warehouse COPY at once, the
 * load commits in the same pass, and the CSV is written straight to processed/. These tests pin what users rely on:
 * every row exactly once, the CSV in the store (byte-identical to the recorded sha256) for every loaded run, the
 * watermark, and what a failure leaves behind (nothing, or a failed run whose CSV is kept in exports/ for replay).
 */
let w: World;
const prefix = 'dataacuity';

const count = async (sql: string, params: unknown[] = []) => (await w.wh.query(sql, params)).rows[0].n as number;
const runOf = async (runId: number | null) =>
	(
		await w.wh.query(
			`SELECT status, csv_path, processed_path, csv_moved_at IS NOT NULL AS moved, csv_sha256, csv_bytes::int AS bytes, rows_extracted::int AS rows, error_message
			   FROM dwh_control.extract_runs WHERE run_id = $1`,
			[runId],
		)
	).rows[0];
const watermark = async (table: string) =>
	(await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w as string;
const keysUnder = (folder: string, table: string) => w.ctx.store.list(`${prefix}/${folder}/${table}/`);
async function objectSha256(path: string): Promise<string> {
	const body = await w.ctx.store.download(path.replace(`s3://${w.ctx.store.cfg.bucket}/`, ''));
	const h = createHash('sha256');
	for await (const chunk of body) h.update(chunk as Buffer);
	return h.digest('hex');
}

beforeAll(async () => {
	w = await createWorld('overlap');
	await w.src.query(
		`CREATE TABLE public.accounts (id bigint PRIMARY KEY, balance numeric(14,2) NOT NULL, note text, updated_at timestamptz NOT NULL DEFAULT now())`,
	);
});
afterAll(() => w.close());

test('back-fill then incremental upserts, loaded while extracted: every row once, CSVs straight in processed/, replay is a no-op', async () => {
	// ~9 MB of CSV: a multipart upload (two parts), COPYed straight into the new, empty bronze table.
	await w.src.query(`INSERT INTO public.accounts (id, balance, note, updated_at)
		SELECT g, g / 100.0, CASE WHEN g % 7 = 0 THEN E'line\\nbreak, "quoted"' ELSE repeat('x', 60) END, now() - interval '1 day' + g * interval '1 ms'
		  FROM generate_series(1, 100000) g`);
	const table = await w.register(incremental('upsert', 'accounts', 'updated_at', '5 minutes', { lookback: '1 minute', safety_lag: '0 seconds' }));

	const first = await extractAndLoadTable(w.ctx, table);
	expect(first).toMatchObject({ status: 'loaded', rows: 100000 });
	expect(first.load).toMatchObject({ status: 'loaded', rowsInCsv: 100000, rowsInserted: 100000, rowsUpdated: 0 });
	expect(first.csvPath).toBe(`s3://${w.ctx.store.cfg.bucket}/${prefix}/processed/${table}/${first.csvPath!.split('/').pop()}`);
	const run1 = await runOf(first.runId);
	expect(run1).toMatchObject({ status: 'loaded', csv_path: first.csvPath, processed_path: first.csvPath, moved: true, rows: 100000, bytes: first.bytes });
	expect(await objectSha256(first.csvPath!)).toBe(run1.csv_sha256);
	expect(await keysUnder('exports', table)).toEqual([]);
	expect(await count(`SELECT count(*)::int AS n FROM raw.${table} WHERE _dwh_run_id = $1`, [first.runId])).toBe(100000);
	expect(await watermark(table)).toBe(first.window.upper);

	// Changed and new rows: the upsert path (stage + merge) while extracting.
	await w.src.query(`UPDATE public.accounts SET balance = balance + 1, updated_at = now() WHERE id <= 500`);
	await w.src.query(`INSERT INTO public.accounts (id, balance) SELECT g, 1 FROM generate_series(100001, 100300) g`);
	const second = await extractAndLoadTable(w.ctx, table);
	expect(second.load).toMatchObject({ status: 'loaded', rowsInserted: 300, rowsUpdated: 500 });
	const totals = async (db: 'src' | 'wh', rel: string) =>
		(
			await w[db].query(
				`SELECT count(*)::int AS n, sum(balance)::text AS s, md5(string_agg(id || ':' || balance || ':' || coalesce(note, '~'), ',' ORDER BY id)) AS h FROM ${rel}`,
			)
		).rows[0];
	expect(await totals('wh', `raw.${table}`)).toEqual(await totals('src', 'public.accounts'));

	// Replaying a loaded run through the separate path changes nothing.
	const replay = await loadBronze(w.ctx, {
		table,
		runId: second.runId!,
		csvPath: `s3://${w.ctx.store.cfg.bucket}/${prefix}/exports/${table}/${second.csvPath!.split('/').pop()}`,
	});
	expect(replay.status).toBe('already_loaded');
	expect((await keysUnder('processed', table)).length).toBe(2);
});

test('a snapshot table loaded while extracted: vanished rows deleted and changed rows updated in the same transaction', async () => {
	await w.src.query(`CREATE TABLE public.branches (code text PRIMARY KEY, city text NOT NULL)`);
	await w.src.query(`INSERT INTO public.branches VALUES ('JNB', 'Johannesburg'), ('CPT', 'Cape Town'), ('DUR', 'Durban')`);
	const table = await w.register({ source_table: 'branches', mode: 'snapshot', load_strategy: 'replace', key_columns: ['code'], cadence: '1 hour' });
	expect((await extractAndLoadTable(w.ctx, table)).load).toMatchObject({ rowsInserted: 3 });
	await w.src.query(`DELETE FROM public.branches WHERE code = 'DUR'`);
	await w.src.query(`UPDATE public.branches SET city = 'Kaapstad' WHERE code = 'CPT'`);
	await w.src.query(`INSERT INTO public.branches VALUES ('PLZ', 'Gqeberha')`);
	const r = await extractAndLoadTable(w.ctx, table);
	expect(r.load).toMatchObject({ status: 'loaded', rowsInCsv: 3, rowsInserted: 1, rowsUpdated: 1, rowsUnchanged: 1, rowsDeleted: 1 });
	expect((await w.wh.query(`SELECT code, city FROM raw.${table} ORDER BY code`)).rows).toEqual([
		{ code: 'CPT', city: 'Kaapstad' },
		{ code: 'JNB', city: 'Johannesburg' },
		{ code: 'PLZ', city: 'Gqeberha' },
	]);
});

test('a key repeated in the first CSV: the overlapped COPY is refused, the CSV is kept and replayed through the stage; newest version wins', async () => {
	await w.src.query(`CREATE TABLE public.profiles (id bigint NOT NULL, city text, updated_at timestamptz NOT NULL)`);
	await w.src.query(
		`INSERT INTO public.profiles VALUES (1, 'Durban', now() - interval '3 hours'), (1, 'Cape Town', now() - interval '1 hour'), (2, 'Polokwane', now() - interval '2 hours')`,
	);
	const table = await w.register(incremental('upsert', 'profiles', 'updated_at', '5 minutes', { lookback: '1 minute', safety_lag: '0 seconds' }));
	const r = await extractAndLoadTable(w.ctx, table);
	expect(r.status).toBe('loaded');
	expect(r.message).toMatch(/^replayed through the separate load: loaded; .*kept at s3:\/\/.*\/exports\/.*duplicate key/s);
	expect(r.load).toMatchObject({ status: 'loaded', rowsInCsv: 3, rowsInserted: 2 });
	expect(await w.bronzeRows(table, 'city')).toEqual([
		{ id: 1, city: 'Cape Town' },
		{ id: 2, city: 'Polokwane' },
	]);
	expect(await keysUnder('exports', table)).toEqual([]);
	expect((await keysUnder('processed', table)).length).toBe(1);
});

test('the warehouse refusing the rows: rolled back, run failed with its CSV kept in exports/, watermark unmoved; replay after the fix loads it', async () => {
	await w.src.query(`CREATE TABLE public.limits (id bigint PRIMARY KEY, cap integer NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.limits (id, cap) SELECT g, g FROM generate_series(1, 50) g`);
	const table = await w.register(incremental('upsert', 'limits', 'updated_at', '5 minutes', { lookback: '1 minute', safety_lag: '0 seconds' }));
	expect((await extractAndLoadTable(w.ctx, table)).status).toBe('loaded');
	const wm = await watermark(table);
	// A DBA narrowed bronze; the next window holds a value it cannot take.
	await w.wh.query(`ALTER TABLE raw.${table} ADD CONSTRAINT cap_small CHECK (cap < 1000)`);
	await w.src.query(`INSERT INTO public.limits (id, cap) VALUES (51, 5000)`);
	const r = await extractAndLoadTable(w.ctx, table);
	expect(r.status).toBe('failed');
	expect(r.message).toMatch(/^replaying it through the separate load failed too: .*cap_small.*kept at s3:\/\/.*\/exports\/.*cap_small/s);
	const run = await runOf(r.runId);
	expect(run).toMatchObject({ status: 'failed', csv_path: r.csvPath, moved: false, rows: 51 }); // the lookback re-reads the first 50
	expect(await objectSha256(r.csvPath!)).toBe(run.csv_sha256);
	expect(await keysUnder('processed', table)).toHaveLength(1); // only the first, loaded run's
	expect(await watermark(table)).toBe(wm);
	expect(await count(`SELECT count(*)::int AS n FROM raw.${table}`)).toBe(50);

	await w.wh.query(`ALTER TABLE raw.${table} DROP CONSTRAINT cap_small`);
	const replay = await loadBronze(w.ctx, { table, runId: r.runId!, csvPath: r.csvPath! });
	expect(replay).toMatchObject({ status: 'loaded', rowsInserted: 1 });
	expect(await count(`SELECT count(*)::int AS n FROM raw.${table}`)).toBe(51);
});

test('S3 refusing the upload part-way: nothing loaded, no object, no session left, watermark unmoved; the next run loads every row', async () => {
	await w.src.query(`CREATE TABLE public.events (id bigint PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.events (id, payload) SELECT g, repeat(md5(g::text), 3) FROM generate_series(1, 80000) g`); // ~8.6 MB
	const table = await w.register(incremental('append', 'events', 'created_at', '5 minutes', { lookback: '1 minute', safety_lag: '0 seconds' }));
	const refusing = openPipelineContext({ source: w.source, warehouse: w.warehouse, store: { ...w.ctx.store.cfg, bucket: `${w.ctx.store.cfg.bucket}-gone` } });
	try {
		const r = await extractAndLoadTable(refusing, table);
		expect(r.status).toBe('failed');
		expect(r.message).toMatch(/bucket/i);
		expect(await runOf(r.runId)).toMatchObject({ status: 'failed', moved: false });
	} finally {
		await refusing.close();
	}
	// A first extract that failed leaves no bronze table behind, as in the two-step path.
	expect(await count(`SELECT count(*)::int AS n FROM pg_class WHERE oid = to_regclass($1)`, [`raw.${table}`])).toBe(0);
	expect(await watermark(table)).toBe('-infinity');
	expect(await keysUnder('processed', table)).toEqual([]);
	expect(await keysUnder('exports', table)).toEqual([]);
	const copies = async () =>
		(await w.wh.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE 'COPY %' AND state <> 'idle' AND pid <> pg_backend_pid()`)).rows[0]
			.n as number;
	const until = Date.now() + 15_000;
	while ((await copies()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 250));
	expect(await copies()).toBe(0);

	const r = await extractAndLoadTable(w.ctx, table);
	expect(r.load).toMatchObject({ status: 'loaded', rowsInserted: 80000 });
	expect(await count(`SELECT count(*)::int AS n FROM raw.${table}`)).toBe(80000);
});

test('a round of all due tables, four at a time, gives the same bronze as one at a time', async () => {
	const names: string[] = [];
	for (let i = 1; i <= 6; i++) {
		await w.src.query(`CREATE TABLE public.round_${i} (id bigint PRIMARY KEY, v text, created_at timestamptz NOT NULL DEFAULT now())`);
		await w.src.query(`INSERT INTO public.round_${i} (id, v) SELECT g, md5(g::text) FROM generate_series(1, ${i * 1000}) g`);
		names.push(
			await w.register({
				source_table: `round_${i}`,
				mode: 'incremental',
				load_strategy: 'append',
				watermark_column: 'created_at',
				key_columns: ['id'],
				cadence: '5 minutes',
				lookback: '1 minute',
				safety_lag: '0 seconds',
			}),
		);
	}
	// Sessions on the source and the warehouse while the round runs: never more than the budget of 4 per job.
	let peakSource = 0;
	let peakWarehouse = 0;
	let sampling = true;
	const sampler = (async () => {
		while (sampling) {
			const s = (await w.src.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE '%:extract'`))
				.rows[0].n;
			const h = (await w.wh.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND usename = $1`, [w.warehouse.user]))
				.rows[0].n;
			peakSource = Math.max(peakSource, s);
			peakWarehouse = Math.max(peakWarehouse, h);
			await new Promise((r) => setTimeout(r, 20));
		}
	})();
	const results = await extractAndLoadDueTables(w.ctx, { only: names, parallelTables: 4 }).finally(() => (sampling = false));
	await sampler;
	expect(results.map((r) => [r.table, r.status, r.load?.rowsInserted])).toEqual(names.map((n, i) => [n, 'loaded', (i + 1) * 1000]));
	for (const [i, n] of names.entries()) expect(await count(`SELECT count(*)::int AS n FROM raw.${n}`)).toBe((i + 1) * 1000);
	expect(peakSource).toBeGreaterThan(1);
	expect(peakSource).toBeLessThanOrEqual(4);
	expect(peakWarehouse).toBeLessThanOrEqual(4);
	// Asking for more than the budget gets the budget.
	expect(await extractDueTables(w.ctx, { only: names, parallelTables: 50 })).toEqual([]); // none due again yet
});
