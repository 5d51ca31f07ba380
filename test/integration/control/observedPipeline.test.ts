import { syncRegistry } from '../../../src/control/registrySync';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { createWorld, type World } from '../pipeline/world';

/**
 * The control schema watching the real pipeline: tables registered by syncRegistry, runs written by extractTable and
 * loadBronze, bronze created by the extract — then the views, the assertions and the read-only role on top.
 */
let w: World;
let events: string;
let dim: string;

async function extractAndLoad(table: string) {
	const ex = await extractTable(w.ctx, table);
	if (ex.status !== 'uploaded') return { ex, ld: null };
	const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	return { ex, ld };
}

const freshness = async () =>
	(await w.wh.query(`SELECT table_name, freshness_status, loads_last_24h::int FROM dwh_control.v_table_freshness ORDER BY table_name`)).rows;
const lagState = async () =>
	(await w.wh.query(`SELECT table_name, state, rows_loaded_last_run::int AS rows FROM dwh_control.v_watermark_lag ORDER BY table_name`)).rows;

beforeAll(async () => {
	w = await createWorld('ctl_observed');
	await w.src.query(`
		CREATE TABLE public.events (id bigint PRIMARY KEY, kind text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
		INSERT INTO public.events (id, kind, created_at) SELECT g, 'check_in', now() - interval '1 hour' + g * interval '1 second' FROM generate_series(1, 200) g;
		CREATE TABLE public.dim (code text PRIMARY KEY, label text);
		INSERT INTO public.dim VALUES ('za', 'South Africa'), ('ke', 'Kenya');`);
	const db = w.source.database;
	const report = await syncRegistry(w.wh, {
		version: 'observed-1',
		tables: [
			{
				source_db: db,
				source_table: 'events',
				mode: 'incremental',
				load_strategy: 'append',
				watermark_column: 'created_at',
				key_columns: ['id'],
				cadence: '15 minutes',
			},
			{ source_db: db, source_table: 'dim', mode: 'snapshot', load_strategy: 'replace', key_columns: ['code'], cadence: '1 hour' },
		],
	});
	[dim, events] = [...report.added].sort();
	expect(events).toBe(`${db}__events`);
});
afterAll(() => w.close());

test('before any run both tables show as never loaded, and the assertions have no bronze to check yet', async () => {
	expect(await freshness()).toEqual([
		{ table_name: dim, freshness_status: 'never_loaded', loads_last_24h: 0 },
		{ table_name: events, freshness_status: 'never_loaded', loads_last_24h: 0 },
	]);
	expect((await w.wh.query('SELECT dwh_control.assert_all() AS n')).rows[0].n).toBe(0);
});

test('after a load: fresh, watermark lag = now() - the loaded window upper, bronze keys asserted, bronze readable by dwh_raw_reader and not by dwh_readonly', async () => {
	const a = await extractAndLoad(events);
	const b = await extractAndLoad(dim);
	expect([a.ld?.status, b.ld?.status]).toEqual(['loaded', 'loaded']);
	expect(await freshness()).toEqual([
		{ table_name: dim, freshness_status: 'ok', loads_last_24h: 1 },
		{ table_name: events, freshness_status: 'ok', loads_last_24h: 1 },
	]);
	const lag = await w.wh.query(
		`SELECT last_extracted_at::text AS wm, extract_lag = now() - last_extracted_at AS exact, state FROM dwh_control.v_watermark_lag WHERE table_name = $1`,
		[events],
	);
	expect(lag.rows[0]).toEqual({ wm: a.ex.window.upper, exact: true, state: 'ok' });
	expect((await w.wh.query('SELECT dwh_control.assert_all() AS n')).rows[0].n).toBe(2);

	const c = await w.wh.connect();
	try {
		await c.query('BEGIN');
		await c.query('SET LOCAL ROLE dwh_raw_reader');
		const { rows } = await c.query(`SELECT (SELECT count(*) FROM raw.${events})::int AS events, (SELECT count(*) FROM raw.${dim})::int AS dim`);
		expect(rows[0]).toEqual({ events: 200, dim: 2 });
		await c.query('RESET ROLE');
		await c.query('SET LOCAL ROLE dwh_readonly');
		await expect(c.query(`SELECT count(*) FROM raw.${events}`)).rejects.toThrow('permission denied for schema raw');
	} finally {
		await c.query('ROLLBACK');
		c.release();
	}
});

test('a run with nothing new is idle, not stuck', async () => {
	const { ld } = await extractAndLoad(events);
	expect(ld).toMatchObject({ status: 'loaded', rowsInserted: 0 });
	expect((await lagState()).find((r) => r.table_name === events)).toEqual({ table_name: events, state: 'idle', rows: 0 });
});

test('a failed extract shows in v_recent_failures with its error until a later run loads', async () => {
	await w.src.query('ALTER TABLE public.events RENAME TO events_moved');
	const failed = await extractTable(w.ctx, events);
	expect(failed.status).toBe('failed');
	const f1 = await w.wh.query(`SELECT run_id::int, table_name, error_message, recovered FROM dwh_control.v_recent_failures`);
	expect(f1.rows).toHaveLength(1);
	expect(f1.rows[0]).toMatchObject({ run_id: failed.runId, table_name: events, recovered: false });
	expect(f1.rows[0].error_message).toMatch(/events/);

	await w.src.query(`ALTER TABLE public.events_moved RENAME TO events; INSERT INTO public.events (id, kind) VALUES (201, 'late')`);
	const { ld } = await extractAndLoad(events);
	expect(ld).toMatchObject({ status: 'loaded', rowsInserted: 1 });
	const f2 = await w.wh.query(`SELECT run_id::int, recovered FROM dwh_control.v_recent_failures`);
	expect(f2.rows).toEqual([{ run_id: failed.runId, recovered: true }]);
});

test('a bronze key dropped behind the pipeline back is caught by the assertion, naming the table', async () => {
	await w.wh.query(`ALTER TABLE raw.${events} DROP CONSTRAINT ${events}_pkey`);
	await expect(w.wh.query('SELECT dwh_control.assert_all()')).rejects.toThrow(
		`warehouse assertions failed:\n  - raw.${events}: no PRIMARY KEY/UNIQUE on (id); unique keys present: none`,
	);
	await w.wh.query(`ALTER TABLE raw.${events} ADD PRIMARY KEY (id)`);
});
