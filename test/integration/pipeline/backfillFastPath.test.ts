import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { createWorld, type World } from './world';

/**
 * A back-fill into an empty bronze table skips ON CONFLICT (nothing to conflict with) when the CSV has one row per
 * key. These tests pin that it writes exactly what the merge would, that duplicate keys still go through the
 * de-duplicating merge, and that a populated bronze table always gets the merge.
 */
let w: World;

async function extractAndLoad(table: string) {
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	return { ex, ld: await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! }) };
}

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
	const table = await w.register({ source_table: 'transactions', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '5 minutes', lookback: '5 minutes', safety_lag: '0 seconds' });

	const first = await extractAndLoad(table);
	expect(first.ld).toMatchObject({ status: 'loaded', rowsInCsv: 750, rowsInserted: 750, rowsUpdated: 0, rowsUnchanged: 0, rowsDeleted: 0 });
	const bronze = await w.wh.query(
		`SELECT count(*)::int AS n, count(DISTINCT id)::int AS d, sum(amount_zar)::text AS s, count(merchant)::int AS m,
		        bool_and(_dwh_run_id = $1) AS run_ids FROM raw.${table}`,
		[first.ex.runId],
	);
	expect(bronze.rows[0]).toEqual({ n: 750, d: 750, s: '352031.25', m: 500, run_ids: true });

	// Bronze is populated now: re-reading all history must go through ON CONFLICT and change nothing.
	await w.wh.query(`SELECT dwh_control.reset_watermark($1)`, [table]);
	const again = await extractAndLoad(table);
	expect(again.ld).toMatchObject({ status: 'loaded', rowsInCsv: 750, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: 750 });
	expect((await w.wh.query(`SELECT count(*)::int AS n, bool_and(_dwh_run_id = $1) AS kept FROM raw.${table}`, [first.ex.runId])).rows[0]).toEqual({ n: 750, kept: true });
});

test('a key repeated inside the first CSV (source without a unique key) is de-duplicated: the newest version wins', async () => {
	await w.src.query(`CREATE TABLE public.profiles (id bigint NOT NULL, city text, updated_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.profiles VALUES
		(1, 'Durban',       now() - interval '3 hours'),
		(1, 'Cape Town',    now() - interval '1 hour'),
		(2, 'Polokwane',    now() - interval '2 hours'),
		(3, 'Bloemfontein', now() - interval '2 hours')`);
	const table = await w.register({ source_table: 'profiles', mode: 'incremental', load_strategy: 'upsert', watermark_column: 'updated_at', key_columns: ['id'], cadence: '15 minutes', lookback: '5 minutes', safety_lag: '0 seconds' });

	const { ld } = await extractAndLoad(table);
	expect(ld).toMatchObject({ status: 'loaded', rowsInCsv: 4, rowsInserted: 3, rowsUpdated: 0, rowsUnchanged: 0 });
	const rows = await w.wh.query(`SELECT id::int, city FROM raw.${table} ORDER BY id`);
	expect(rows.rows).toEqual([
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
