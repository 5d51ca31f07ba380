import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

/**
 * A back-fill into an empty bronze table COPYs the CSV straight into bronze (no stage, no ON CONFLICT) when the CSV
 * has one row per key. These tests pin that it writes exactly what the merge would (run id and load time included),
 * that duplicate keys — even far into the file, after COPY has written many rows — fall back to the de-duplicating
 * merge, that a tampered CSV is still refused with nothing left in bronze, that bronze tables created before the
 * run-id default still take the path, and that a populated bronze table always gets the merge.
 */
let w: World;

async function extractAndLoad(table: string) {
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	return { ex, ld: await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! }) };
}

const runIdDefault = async (table: string): Promise<string | null> =>
	(
		await w.wh.query<{ def: string | null }>(
			`SELECT pg_get_expr(d.adbin, d.adrelid) AS def FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
			  WHERE d.adrelid = $1::regclass AND a.attname = '_dwh_run_id'`,
			[`raw.${table}`],
		)
	).rows[0]?.def ?? null;

beforeAll(async () => {
	w = await createWorld('fastpath');
});
afterAll(() => w.close());

test('first load into an empty bronze table: every row once, merge-identical counts; re-reading the window is all unchanged', async () => {
	await w.src.query(`CREATE TABLE public.transactions (
		id bigint PRIMARY KEY, amount_zar numeric(18,2) NOT NULL, merchant text, created_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.transactions
		SELECT g, g * 1.25, CASE WHEN g % 3 = 0 THEN NULL ELSE 'Pick n Pay' END, now() - interval '2 days' + g * interval '1 second'
		  FROM generate_series(1, 750) g`);
	const table = await w.register(incremental('append', 'transactions', 'created_at', '5 minutes', { lookback: '5 minutes', safety_lag: '0 seconds' }));

	const first = await extractAndLoad(table);
	expect(first.ld).toMatchObject({ status: 'loaded', rowsInCsv: 750, rowsInserted: 750, rowsUpdated: 0, rowsUnchanged: 0, rowsDeleted: 0 });
	const bronze = await w.wh.query(
		`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(amount_zar)::text AS s, count(merchant)::int AS m,
		        bool_and(_dwh_run_id = $1) AS run_ids FROM raw.${table}`,
		[first.ex.runId],
	);
	expect(bronze.rows[0]).toEqual({ n: 750, d: 750, s: '352031.25', m: 500, run_ids: true });
	// Stamped like the merge stamps rows: the load transaction's now(), the same for every row of the run.
	const stamped = await w.wh.query(
		`SELECT count(DISTINCT _dwh_loaded_at)::int AS n, bool_and(_dwh_loaded_at <= r.run_finished_at) AS before_finish
		   FROM raw.${table} b, dwh_control.extract_runs r WHERE r.run_id = $1`,
		[first.ex.runId],
	);
	expect(stamped.rows[0]).toEqual({ n: 1, before_finish: true });
	// Outside a load nobody can write a bronze row without naming its run.
	await expect(w.wh.query(`INSERT INTO raw.${table} (id, amount_zar, created_at) VALUES (9999, 1, now())`)).rejects.toThrow(
		/dwh\.load_run_id|invalid input syntax for type bigint/,
	);

	// Bronze is populated now: re-reading all history must go through ON CONFLICT and change nothing.
	await w.wh.query(`SELECT dwh_control.reset_watermark($1)`, [table]);
	const again = await extractAndLoad(table);
	expect(again.ld).toMatchObject({ status: 'loaded', rowsInCsv: 750, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 750 });
	expect((await w.wh.query(`SELECT count(*)::int AS n, bool_and(_dwh_run_id = $1) AS kept FROM raw.${table}`, [first.ex.runId])).rows[0]).toEqual({
		n: 750,
		kept: true,
	});
});

test('a key repeated inside the first CSV (source without a unique key) is de-duplicated: the newest version wins', async () => {
	await w.src.query(`CREATE TABLE public.profiles (id bigint NOT NULL, city text, updated_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.profiles VALUES
		(1, 'Durban',       now() - interval '3 hours'),
		(1, 'Cape Town',    now() - interval '1 hour'),
		(2, 'Polokwane',    now() - interval '2 hours'),
		(3, 'Bloemfontein', now() - interval '2 hours')`);
	const table = await w.register(incremental('upsert', 'profiles', 'updated_at', '15 minutes', { lookback: '5 minutes', safety_lag: '0 seconds' }));

	const { ld } = await extractAndLoad(table);
	expect(ld).toMatchObject({ status: 'loaded', rowsInCsv: 4, rowsInserted: 3, rowsUpdated: 0, rowsUnchanged: 0 });
	expect(await w.bronzeRows(table, 'city')).toEqual([
		{ id: 1, city: 'Cape Town' },
		{ id: 2, city: 'Polokwane' },
		{ id: 3, city: 'Bloemfontein' },
	]);
});

test('a snapshot loaded into an empty bronze table, then replaced: vanished rows deleted, changed rows updated', async () => {
	await w.src.query(`CREATE TABLE public.places (id int PRIMARY KEY, name text NOT NULL)`);
	await w.src.query(`INSERT INTO public.places VALUES (1, 'Sandton City'), (2, 'V&A Waterfront'), (3, 'Union Buildings')`);
	const table = await w.register({ source_table: 'places', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' });

	expect((await extractAndLoad(table)).ld).toMatchObject({ rowsInserted: 3, rowsUpdated: 0, rowsUnchanged: 0, rowsDeleted: 0 });
	await w.src.query(`DELETE FROM public.places WHERE id = 3; UPDATE public.places SET name = 'Menlyn Park' WHERE id = 2`);
	expect((await extractAndLoad(table)).ld).toMatchObject({ rowsInserted: 0, rowsUpdated: 1, rowsUnchanged: 1, rowsDeleted: 1 });
	expect((await w.wh.query(`SELECT id, name FROM raw.${table} ORDER BY id`)).rows).toEqual([
		{ id: 1, name: 'Sandton City' },
		{ id: 2, name: 'Menlyn Park' },
	]);
});

test('a key repeated near the end of a large first CSV rolls the direct COPY back and the merge loads every key once', async () => {
	// No unique key at the source; id 4000 appears twice, the second copy last, so the primary key only refuses the
	// COPY after thousands of rows were written into bronze.
	await w.src.query(`CREATE TABLE public.events (id bigint NOT NULL, kind text NOT NULL, seen_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.events SELECT g, 'view', now() - interval '1 day' + g * interval '1 second' FROM generate_series(1, 5000) g`);
	await w.src.query(`INSERT INTO public.events VALUES (4000, 'purchase', now() - interval '1 minute')`);
	const table = await w.register(incremental('upsert', 'events', 'seen_at', '5 minutes', { lookback: '5 minutes', safety_lag: '0 seconds' }));

	const { ex, ld } = await extractAndLoad(table);
	expect(ld).toMatchObject({ status: 'loaded', rowsInCsv: 5001, rowsInserted: 5000, rowsUpdated: 0, rowsUnchanged: 0 });
	const bronze = await w.wh.query(
		`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, count(*) FILTER (WHERE kind = 'purchase')::int AS p,
		        (SELECT kind FROM raw.${table} WHERE id = 4000) AS k4000, bool_and(_dwh_run_id = $1) AS run_ids FROM raw.${table}`,
		[ex.runId],
	);
	expect(bronze.rows[0]).toEqual({ n: 5000, d: 5000, p: 1, k4000: 'purchase', run_ids: true });
	expect((await w.wh.query(`SELECT status FROM dwh_control.extract_runs WHERE run_id = $1`, [ex.runId])).rows[0].status).toBe('loaded');
});

test('a first CSV edited after upload (same row count) is refused by its sha256 and leaves bronze empty; the original then loads', async () => {
	await w.src.query(`CREATE TABLE public.wallets (id int PRIMARY KEY, balance_zar numeric(14,2) NOT NULL, updated_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.wallets SELECT g, g * 10, now() - interval '1 hour' FROM generate_series(1, 20) g`);
	const table = await w.register(incremental('upsert', 'wallets', 'updated_at', '5 minutes', { lookback: '5 minutes', safety_lag: '0 seconds' }));
	const ex = await extractTable(w.ctx, table);
	const store = w.ctx.store;
	const key = store.parseCsvPath(table, ex.csvPath!);
	const original = await (await store.client.send(new GetObjectCommand({ Bucket: store.cfg.bucket, Key: key }))).Body!.transformToString();
	const put = (body: string) => store.client.send(new PutObjectCommand({ Bucket: store.cfg.bucket, Key: key, Body: body }));

	const wm = async () =>
		(await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w as string;
	const wmBefore = await wm();
	const edited = original.replace(/\n1,10\.00,/, '\n1,1000000.00,');
	expect(edited).not.toBe(original);
	await put(edited);
	await expect(loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).rejects.toThrow(/sha256 .* differs/);
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n).toBe(0);
	expect(await wm()).toBe(wmBefore);
	expect((await w.wh.query(`SELECT status FROM dwh_control.extract_runs WHERE run_id = $1`, [ex.runId])).rows[0].status).toBe('failed');

	await put(original);
	expect(await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).toMatchObject({ status: 'loaded', rowsInserted: 20 });
	expect((await w.wh.query(`SELECT sum(balance_zar)::text AS s FROM raw.${table}`)).rows[0].s).toBe('2100.00');
});

test('back-fills one after another each stamp their own run id (the default is folded per statement, never cached)', async () => {
	const runs: Array<{ table: string; runId: number }> = [];
	for (const name of ['pos_a', 'pos_b', 'pos_c']) {
		await w.src.query(`CREATE TABLE public.${name} (id int PRIMARY KEY, till text NOT NULL, created_at timestamptz NOT NULL)`);
		await w.src.query(`INSERT INTO public.${name} SELECT g, 'till ' || g, now() - interval '1 hour' FROM generate_series(1, 40) g`);
		const table = await w.register({
			source_table: name,
			mode: 'incremental',
			load_strategy: 'append',
			watermark_column: 'created_at',
			key_columns: ['id'],
			cadence: '5 minutes',
			safety_lag: '0 seconds',
		});
		const ex = await extractTable(w.ctx, table);
		// The extract that created the table gave it the folded default, so the load changes no catalog (takes no lock).
		expect(await runIdDefault(table)).toBe('dwh_control.load_run_id()');
		expect(await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).toMatchObject({ status: 'loaded', rowsInserted: 40 });
		runs.push({ table, runId: ex.runId! });
	}
	expect(new Set(runs.map((r) => r.runId)).size).toBe(3);
	for (const { table, runId } of runs) {
		expect((await w.wh.query(`SELECT array_agg(DISTINCT _dwh_run_id)::text AS ids FROM raw.${table}`)).rows[0].ids).toBe(`{${runId}}`);
	}
});

test('a bronze table created before the run-id default gets it on its first back-fill and loads through the direct COPY', async () => {
	await w.src.query(`CREATE TABLE public.merchants (id int PRIMARY KEY, name text NOT NULL, updated_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.merchants VALUES (1, 'Checkers', now() - interval '1 hour'), (2, 'Clicks', now() - interval '1 hour')`);
	const table = await w.register({ source_table: 'merchants', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' });
	const ex = await extractTable(w.ctx, table);
	await w.wh.query(`ALTER TABLE raw.${table} ALTER COLUMN _dwh_run_id DROP DEFAULT`);

	expect(await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).toMatchObject({ status: 'loaded', rowsInserted: 2 });
	expect((await w.wh.query(`SELECT count(*)::int AS n, bool_and(_dwh_run_id = $1) AS ok FROM raw.${table}`, [ex.runId])).rows[0]).toEqual({ n: 2, ok: true });
	expect(await runIdDefault(table)).toBe('dwh_control.load_run_id()');
});

test('an empty bronze table whose run-id column cannot take the default is back-filled through the stage and merge instead', async () => {
	await w.src.query(`CREATE TABLE public.devices (id int PRIMARY KEY, model text NOT NULL, seen_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.devices VALUES (1, 'Mobicel', now() - interval '1 hour'), (2, 'Hisense', now() - interval '1 hour')`);
	const table = await w.register(incremental('append', 'devices', 'seen_at', '5 minutes', { lookback: '5 minutes', safety_lag: '0 seconds' }));
	const ex = await extractTable(w.ctx, table);
	// A DBA redefined the column as an identity column: SET DEFAULT is refused for it.
	await w.wh.query(`ALTER TABLE raw.${table} ALTER COLUMN _dwh_run_id DROP DEFAULT, ALTER COLUMN _dwh_run_id ADD GENERATED BY DEFAULT AS IDENTITY`);

	expect(await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! })).toMatchObject({ status: 'loaded', rowsInserted: 2, rowsUnchanged: 0 });
	expect((await w.wh.query(`SELECT count(*)::int AS n, bool_and(_dwh_run_id = $1) AS ok FROM raw.${table}`, [ex.runId])).rows[0]).toEqual({ n: 2, ok: true });
	const def = await w.wh.query(
		`SELECT count(*)::int AS n FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
		  WHERE d.adrelid = $1::regclass AND a.attname = '_dwh_run_id'`,
		[`raw.${table}`],
	);
	expect(def.rows[0].n).toBe(0);
});
