import { abandonRun } from '../../../src/control/runs';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

let w: World;
let table: string;

async function runOnce() {
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	return { ex, ld };
}

beforeAll(async () => {
	w = await createWorld('backfill');
	await w.src.query(`CREATE TABLE public.users (
		id bigint PRIMARY KEY, email text NOT NULL, balance numeric(14,2), updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.users (id, email, balance, updated_at)
		SELECT g, 'user' || g || '@example.co.za', g * 10.5, now() - interval '1 day' + g * interval '1 second' FROM generate_series(1, 500) g`);
	table = await w.register(incremental('upsert', 'users', 'updated_at', '15 minutes', { lookback: '5 minutes', safety_lag: '0 seconds' }));
});
afterAll(() => w.close());

test('first run back-fills every row, advances the watermark to the window upper and moves the CSV', async () => {
	const { ex, ld } = await runOnce();
	expect(ex.rows).toBe(500);
	expect(ex.window.lower).toBe('-infinity');
	expect(ex.csvPath).toMatch(new RegExp(`^s3://[a-z0-9-]+/dataacuity/exports/${table}/\\d{8}_\\d{4}_SAST_${ex.runId}\\.csv$`));
	expect(ld).toMatchObject({ status: 'loaded', rowsInCsv: 500, rowsInserted: 500, rowsUpdated: 0, rowsUnchanged: 0 });
	expect(ld.processedPath).toBe(ex.csvPath!.replace('/exports/', '/processed/'));
	expect(ld.watermark).toBe(ex.window.upper);

	const bronze = await w.wh.query(`SELECT count(*)::int AS n, sum(balance)::text AS s FROM raw.${table}`);
	expect(bronze.rows[0]).toEqual({ n: 500, s: '1315125.00' });
	const run = await w.wh.query(
		`SELECT status, rows_extracted::int, rows_inserted::int, csv_moved_at IS NOT NULL AS moved FROM dwh_control.extract_runs WHERE run_id = $1`,
		[ex.runId],
	);
	expect(run.rows[0]).toEqual({ status: 'loaded', rows_extracted: 500, rows_inserted: 500, moved: true });
	expect(await w.ctx.store.size(w.ctx.store.parseCsvPath(table, ex.csvPath!))).toBeNull();
});

test('next run takes only changed rows (plus the lookback overlap) and updates them in place', async () => {
	await w.src.query(`UPDATE public.users SET email = 'changed' || id || '@example.co.za', updated_at = now() WHERE id IN (3, 7)`);
	await w.src.query(`INSERT INTO public.users (id, email, balance) VALUES (501, 'new@example.co.za', 1.00)`);
	const { ex, ld } = await runOnce();
	expect(ex.rows).toBe(3);
	expect(ld).toMatchObject({ rowsInserted: 1, rowsUpdated: 2, rowsUnchanged: 0 });
	const rows = await w.wh.query(`SELECT id::int, email FROM raw.${table} WHERE id IN (3, 7, 501) ORDER BY id`);
	expect(rows.rows).toEqual([
		{ id: 3, email: 'changed3@example.co.za' },
		{ id: 7, email: 'changed7@example.co.za' },
		{ id: 501, email: 'new@example.co.za' },
	]);
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n).toBe(501);
	// The oldest stamp among the rows it changed (the freshness bound of docs/chain.md); the back-fill records none.
	const src = await w.src.query(`SELECT min(updated_at)::text AS m FROM public.users WHERE id IN (3, 7, 501)`);
	const runs = await w.wh.query(
		`SELECT run_id::int, oldest_changed_stamp::text AS o FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'loaded' ORDER BY run_id`,
		[table],
	);
	expect(runs.rows.map((r) => r.o)).toEqual([null, src.rows[0].m]);
});

test('the watermark keeps microsecond precision and never moves backwards', async () => {
	const before = (await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w;
	expect(before).toMatch(/\.\d{1,6}\+00$/);
	const { ld } = await runOnce();
	const after = (
		await w.wh.query(
			`SELECT last_extracted_at > $2::timestamptz AS later, last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`,
			[table, before],
		)
	).rows[0];
	expect(after.later).toBe(true);
	expect(ld.watermark).toBe(after.w);
});

test("replaying an older run's CSV after a newer run was loaded never moves a row backwards", async () => {
	await w.src.query(`UPDATE public.users SET email = 'v1@example.co.za', updated_at = now() WHERE id = 10`);
	const older = await extractTable(w.ctx, table);
	expect(older.status).toBe('uploaded');
	// Its load never happens (the worker died): the run is abandoned with its CSV still in exports/.
	expect(await abandonRun(w.wh, older.runId!, 'abandoned: test')).toBe(true);
	await w.src.query(`UPDATE public.users SET email = 'v2@example.co.za', updated_at = now() WHERE id = 10`);
	const newer = await runOnce();
	expect(newer.ld.rowsUpdated).toBe(1);
	const wm = (await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w;

	const replay = await loadBronze(w.ctx, { table, runId: older.runId!, csvPath: older.csvPath! });
	expect(replay).toMatchObject({ status: 'loaded', rowsInCsv: older.rows, rowsInserted: 0, rowsUpdated: 0, rowsUnchanged: older.rows, watermark: wm });
	expect((await w.wh.query(`SELECT email FROM raw.${table} WHERE id = 10`)).rows[0].email).toBe('v2@example.co.za');
});

test("a re-read always takes the source's current version, even when its timestamp went back", async () => {
	// The application moved the row's stamp back: the later snapshot still sees the current row, so bronze follows it.
	await w.src.query(`UPDATE public.users SET email = 'restamped@example.co.za', updated_at = updated_at - interval '1 hour' WHERE id = 10`);
	await w.wh.query(`UPDATE dwh_control.extract_watermarks SET last_extracted_at = now() - interval '2 hours' WHERE table_name = $1`, [table]);
	const { ld } = await runOnce();
	expect(ld.rowsUpdated).toBe(1);
	const [src, dst] = await Promise.all([
		w.src.query(`SELECT email, updated_at::text FROM public.users WHERE id = 10`),
		w.wh.query(`SELECT email, updated_at::text FROM raw.${table} WHERE id = 10`),
	]);
	expect(dst.rows[0]).toEqual(src.rows[0]);
});

test('the first run back-fills rows stamped before 2000 (1970, 1999, -infinity), and a full reseed reads them again', async () => {
	await w.src.query(`CREATE TABLE public.legacy_orders (id bigint PRIMARY KEY, note text, created_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.legacy_orders VALUES
		(1, 'epoch import', '1970-01-01 00:00:00+00'), (2, 'last of the old system', '1999-12-31 23:59:59.999999+00'),
		(3, 'unknown date', '-infinity'), (4, 'new system', now() - interval '1 day')`);
	const legacy = await w.register(incremental('append', 'legacy_orders', 'created_at', '1 hour', { lookback: '5 minutes' }));
	const ids = async () => (await w.wh.query(`SELECT array_agg(id ORDER BY id)::int[] AS ids FROM raw.${legacy}`)).rows[0].ids as number[];

	const ex = await extractTable(w.ctx, legacy);
	expect(ex.window.lower).toBe('-infinity');
	expect(ex.rows).toBe(4);
	await loadBronze(w.ctx, { table: legacy, runId: ex.runId!, csvPath: ex.csvPath! });
	expect(await ids()).toEqual([1, 2, 3, 4]);

	// Rows lost from bronze by hand: the documented full reseed (reset_watermark without a time) brings them back.
	await w.wh.query(`DELETE FROM raw.${legacy} WHERE id IN (1, 3)`);
	expect((await w.wh.query(`SELECT dwh_control.reset_watermark($1)::text AS previous`, [legacy])).rows[0].previous).toBe(ex.window.upper);
	const again = await extractTable(w.ctx, legacy);
	expect(again.rows).toBe(4);
	const ld = await loadBronze(w.ctx, { table: legacy, runId: again.runId!, csvPath: again.csvPath! });
	expect(ld).toMatchObject({ rowsInserted: 2, rowsUnchanged: 2 });
	expect(await ids()).toEqual([1, 2, 3, 4]);
});
