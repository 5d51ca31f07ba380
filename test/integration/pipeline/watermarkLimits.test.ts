import pg from 'pg';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { connOf, createWorld, type World } from './world';

/** The limits of a watermark window that used to lose rows silently: each is now refused, covered or counted. */
let w: World;

async function extractAndLoad(table: string) {
	const ex = await extractTable(w.ctx, table);
	expect(ex.status).toBe('uploaded');
	const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	return { ex, ld };
}

const ids = async (table: string) => (await w.wh.query(`SELECT coalesce(array_agg(id ORDER BY id), '{}')::int[] AS ids FROM raw.${table}`)).rows[0].ids as number[];

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

	test('is refused until the registry names the writers\' zone; a zone with daylight saving needs a lookback over the repeated hour', async () => {
		await w.src.query(`CREATE TABLE public.visits (id bigint PRIMARY KEY, created_at timestamp(3) NOT NULL DEFAULT now())`);
		const table = await w.register({ source_table: 'visits', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '5 minutes' });
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
		const table = await w.register({
			source_table: 'sales', mode: 'incremental', load_strategy: 'append', watermark_column: 'created_at', key_columns: ['id'], cadence: '5 minutes',
			lookback: '0 seconds', watermark_time_zone: 'America/Bogota',
		});
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
