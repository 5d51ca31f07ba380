import pg from 'pg';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { connOf, createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

/** The limits of a watermark window that used to lose rows silently: each is now refused, covered or counted. */
let w: World;

async function extractAndLoad(table: string) {
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	return { ex, ld };
}

const ids = async (table: string) =>
	(await w.wh.query(`SELECT coalesce(array_agg(id ORDER BY id), '{}')::int[] AS ids FROM raw.${table}`)).rows[0].ids as number[];

beforeAll(async () => {
	w = await createWorld('wm_limits');
});
afterAll(() => w.close());

describe('timestamp without time zone', () => {
	/** A writer whose sessions run in its own zone: now() is stored as that zone's local time. */
	async function writerIn(zone: string) {
		const c = new pg.Client(connOf(w.source));
		await c.connect();
		await c.query(`SET TIME ZONE '${zone}'`);
		return c;
	}

	test("is refused until the registry names the writers' zone; a zone with daylight saving needs a lookback over the repeated hour", async () => {
		await w.src.query(`CREATE TABLE public.visits (id bigint PRIMARY KEY, created_at timestamp(3) NOT NULL DEFAULT now())`);
		const table = await w.register(incremental('append', 'visits', 'created_at', '5 minutes'));
		const refused = await extractTable(w.ctx, table);
		expect(refused.status).toBe('failed');
		expect(refused.message).toBe(
			`Watermark column created_at of ${table} is timestamp without time zone: its values are the local time of the sessions that write it. ` +
				'Set watermark_time_zone in the registry entry to their time zone (e.g. "UTC", "Africa/Johannesburg") and run npm run dwh:registry-sync',
		);
		expect((await w.wh.query(`SELECT to_regclass($1) AS t`, [`raw.${table}`])).rows[0].t).toBeNull();

		await w.wh.query(`UPDATE dwh_control.source_tables SET watermark_time_zone = 'America/New_York' WHERE table_name = $1`, [table]);
		const dst = await extractTable(w.ctx, table);
		expect(dst.status).toBe('failed');
		expect(dst.message).toBe(
			`watermark_time_zone America/New_York of ${table} turns its clocks back by 01:00:00 once a year, and rows written in the repeated hour would fall below the watermark: ` +
				'set lookback to at least 01:00:00 in the registry entry, or store the column as timestamptz',
		);
		await w.wh.query(`UPDATE dwh_control.source_tables SET lookback = '1 hour' WHERE table_name = $1`, [table]);
		const writer = await writerIn('America/New_York');
		try {
			await writer.query(`INSERT INTO public.visits (id) VALUES (1)`);
			expect((await extractAndLoad(table)).ex.rows).toBe(1);
		} finally {
			await writer.end();
		}
	});

	test('rows written by sessions five hours behind UTC arrive, with no lookback at all', async () => {
		await w.src.query(`CREATE TABLE public.sales (id bigint PRIMARY KEY, created_at timestamp NOT NULL DEFAULT now())`);
		const table = await w.register(incremental('append', 'sales', 'created_at', '5 minutes', { lookback: '0 seconds', watermark_time_zone: 'America/Bogota' }));
		const writer = await writerIn('America/Bogota'); // UTC-5 all year
		try {
			await writer.query(`INSERT INTO public.sales (id) VALUES (1)`);
			expect((await extractAndLoad(table)).ex.rows).toBe(1);
			// Read as UTC this row would look five hours old, below the watermark just set, and never be extracted.
			await writer.query(`INSERT INTO public.sales (id) VALUES (2)`);
			const second = await extractAndLoad(table);
			expect(second.ex.rows).toBe(1);
			expect(await ids(table)).toEqual([1, 2]);
		} finally {
			await writer.end();
		}
	});
});

const alerts = async (table: string) =>
	(await w.wh.query(`SELECT alert, detail FROM dwh_control.v_pipeline_alerts WHERE area = 'extract' AND subject = $1 ORDER BY alert`, [table])).rows;
const runLog = async (runId: number | null) =>
	(
		await w.wh.query(
			`SELECT rows_without_watermark::int AS without, rows_changed_same_stamp::int AS same_stamp FROM dwh_control.extract_runs WHERE run_id = $1`,
			[runId],
		)
	).rows[0];

test('rows whose watermark is NULL or infinity are counted in the run log and alerted until they are stamped', async () => {
	await w.src.query(`CREATE TABLE public.tickets (id bigint PRIMARY KEY, updated_at timestamptz)`);
	await w.src.query(`INSERT INTO public.tickets VALUES (1, now() - interval '1 hour'), (2, NULL), (3, NULL), (4, 'infinity')`);
	const table = await w.register(incremental('upsert', 'tickets', 'updated_at', '5 minutes', { lookback: '1 minute' }));

	const first = await extractAndLoad(table);
	expect(first.ex.rows).toBe(1);
	expect(first.ex.message).toBe(
		"3 source row(s) have updated_at NULL or 'infinity' and are outside every window (not extracted): stamp them (NOT NULL DEFAULT now()) or register the table as a snapshot",
	);
	expect(await runLog(first.ex.runId)).toEqual({ without: 3, same_stamp: 0 });
	expect(await alerts(table)).toEqual([
		{ alert: 'rows_without_watermark', detail: "3 source row(s) have updated_at NULL or 'infinity' and are outside every window (not extracted)" },
	]);

	await w.src.query(`UPDATE public.tickets SET updated_at = now() WHERE updated_at IS NULL OR updated_at = 'infinity'`);
	const second = await extractAndLoad(table);
	expect(second.ex.rows).toBe(3);
	expect(await runLog(second.ex.runId)).toEqual({ without: 0, same_stamp: 0 });
	expect(await ids(table)).toEqual([1, 2, 3, 4]);
	expect(await alerts(table)).toEqual([]);
});

test('a row rewritten under an identical timestamp is applied when re-read, counted, and alerted', async () => {
	await w.src.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.orders (id, status) SELECT g, 'new' FROM generate_series(1, 3) g`);
	const table = await w.register(incremental('upsert', 'orders', 'updated_at', '5 minutes', { lookback: '10 minutes' }));
	await extractAndLoad(table);

	// The application changes a row without touching updated_at (no trigger): the stamp says nothing happened.
	await w.src.query(`UPDATE public.orders SET status = 'shipped' WHERE id = 2`);
	const second = await extractAndLoad(table);
	expect(second.ex.rows).toBe(3); // all three are still inside the lookback
	expect(second.ld).toMatchObject({ rowsUpdated: 1, rowsUnchanged: 2 });
	expect(second.ld.message).toMatch(
		/^1 re-read row\(s\) had changed without a newer updated_at \(applied\); such changes made after the lookback are never extracted/,
	);
	expect((await w.wh.query(`SELECT status FROM raw.${table} WHERE id = 2`)).rows[0].status).toBe('shipped');
	expect(await runLog(second.ex.runId)).toEqual({ without: 0, same_stamp: 1 });
	expect(await alerts(table)).toEqual([
		{
			alert: 'watermark_not_bumped',
			detail: '1 re-read row(s) changed without a newer updated_at in the last 24 h (1 run(s)); such changes made after the lookback are never extracted',
		},
	]);
});

test('the same-stamp count also works on a zoned timestamp column ahead of UTC, and only looks at the re-read overlap', async () => {
	await w.src.query(`CREATE TABLE public.bookings (id bigint PRIMARY KEY, seats int NOT NULL, booked_at timestamp NOT NULL)`);
	const table = await w.register(incremental('upsert', 'bookings', 'booked_at', '5 minutes', { lookback: '10 minutes', watermark_time_zone: 'Asia/Tokyo' }));
	const tokyoNow = `(now() AT TIME ZONE 'Asia/Tokyo')`;
	await w.src.query(`INSERT INTO public.bookings VALUES (1, 2, ${tokyoNow} - interval '1 minute'), (2, 4, ${tokyoNow} - interval '1 minute')`);
	await extractAndLoad(table);
	await w.src.query(`UPDATE public.bookings SET seats = 3 WHERE id = 1`); // booked_at untouched
	await w.src.query(`INSERT INTO public.bookings VALUES (3, 1, ${tokyoNow})`);
	const second = await extractAndLoad(table);
	expect(second.ex.rows).toBe(3);
	expect(second.ld).toMatchObject({ rowsInserted: 1, rowsUpdated: 1, rowsUnchanged: 1 });
	expect(await runLog(second.ex.runId)).toEqual({ without: 0, same_stamp: 1 });
});
