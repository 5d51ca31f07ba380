import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { openPipelineContext, type PipelineContext } from '../../../src/pipeline/context';
import { connOf, createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

let w: World;

async function extractAndLoad(ctx: World['ctx'], table: string) {
	const ex = await extractTable(ctx, table);
	expect(ex.status).toBe('uploaded');
	const ld = await loadBronze(ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	return { ex, ld };
}

const count = async (table: string) => (await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n as number;

beforeAll(async () => {
	w = await createWorld('late');
});
afterAll(() => w.close());

/**
 * A pipeline whose source login was granted SELECT on the one table `ddl` creates and nothing else: no
 * pg_read_all_stats, so it cannot see other sessions' open transactions.
 */
async function withoutStats(ddl: string): Promise<PipelineContext & { close(): Promise<void> }> {
	const role = `extract_${randomBytes(3).toString('hex')}`;
	const password = randomBytes(12).toString('hex');
	await w.src.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
	await w.src.query(ddl);
	await w.src.query(`GRANT SELECT ON ${/^CREATE TABLE (\S+)/.exec(ddl)![1]} TO ${role}`);
	return openPipelineContext({ source: { ...w.source, user: role, password }, warehouse: w.warehouse, store: w.ctx.store.cfg, exportTimezone: 'UTC' });
}

test('1,000 rows sharing one timestamp across a run boundary all arrive, with no lookback at all', async () => {
	await w.src.query(`CREATE TABLE public.check_ins (id bigint PRIMARY KEY, poi text, created_at timestamptz NOT NULL DEFAULT now())`);
	const table = await w.register(incremental('append', 'check_ins', 'created_at', '5 minutes', { lookback: '0 seconds' }));

	const writer = await w.src.connect();
	try {
		// A long transaction stamps 500 rows with its start time X and is still open when the run starts...
		await writer.query('BEGIN');
		const x = (await writer.query(`SELECT now()::text AS x`)).rows[0].x as string;
		await writer.query(`INSERT INTO public.check_ins (id, poi) SELECT g, 'poi ' || g FROM generate_series(1, 500) g`);
		// ...while 500 other rows with exactly the same timestamp commit before the run.
		await w.src.query(`INSERT INTO public.check_ins (id, poi, created_at) SELECT g, 'poi ' || g, $1::timestamptz FROM generate_series(501, 1000) g`, [x]);

		const first = await extractAndLoad(w.ctx, table);
		expect(first.ex.window.upperCappedBy).toBe('in_flight_transaction');
		expect(first.ex.rows).toBe(0); // the boundary sits just below X, so none of the tied rows is split off
		await writer.query('COMMIT');
	} finally {
		writer.release();
	}
	const second = await extractAndLoad(w.ctx, table);
	expect(second.ex.rows).toBe(1000);
	expect(second.ld.rowsInserted).toBe(1000);
	expect(await count(table)).toBe(1000);
});

test('a row committed late by a long transaction with an older timestamp is loaded by the next run', async () => {
	await w.src.query(`CREATE TABLE public.transactions (id bigint PRIMARY KEY, amount_zar numeric(14,2), created_at timestamptz NOT NULL DEFAULT now())`);
	const table = await w.register(incremental('append', 'transactions', 'created_at', '5 minutes', { lookback: '0 seconds' }));
	await w.src.query(`INSERT INTO public.transactions (id, amount_zar, created_at) VALUES (1, 10.00, now() - interval '1 hour')`);

	const slow = await w.src.connect();
	try {
		await slow.query('BEGIN');
		await slow.query(`INSERT INTO public.transactions (id, amount_zar) VALUES (2, 99.95)`); // stamped at its start
		await new Promise((r) => setTimeout(r, 50));
		await w.src.query(`INSERT INTO public.transactions (id, amount_zar) VALUES (3, 5.00)`); // newer, committed first
		const first = await extractAndLoad(w.ctx, table);
		expect(first.ex.rows).toBe(1); // only id 1: id 3 is newer than the open transaction's start, so it waits too
		await slow.query('COMMIT');
	} finally {
		slow.release();
	}
	const second = await extractAndLoad(w.ctx, table);
	expect(second.ex.rows).toBe(2);
	expect((await w.wh.query(`SELECT array_agg(id ORDER BY id)::int[] AS ids FROM raw.${table}`)).rows[0].ids).toEqual([1, 2, 3]);
});

test('without pg_read_all_stats the run says so and the lookback still catches the late row', async () => {
	const ctx = await withoutStats(`CREATE TABLE public.holds (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`);
	const table = await w.register(incremental('append', 'holds', 'created_at', '5 minutes', { lookback: '10 minutes' }));
	const slow = new pg.Client(connOf(w.source));
	await slow.connect();
	try {
		await slow.query('BEGIN');
		await slow.query(`INSERT INTO public.holds (id) VALUES (1)`);
		await new Promise((r) => setTimeout(r, 50));
		await w.src.query(`INSERT INTO public.holds (id) VALUES (2)`);
		const first = await extractAndLoad(ctx, table);
		expect(first.ex.message).toMatch(/grant pg_read_all_stats/);
		expect(first.ex.window.upperCappedBy).toBe('safety_lag');
		expect(first.ex.rows).toBe(1);
		await slow.query('COMMIT');
		const second = await extractAndLoad(ctx, table);
		expect(second.ld.rowsInserted).toBe(1);
		expect(second.ld.rowsUnchanged).toBe(1); // id 2 again, inside the lookback overlap: de-duplicated, not doubled
		expect(await count(table)).toBe(2);
	} finally {
		await slow.end();
		await ctx.close();
	}
});

test('upsert, without pg_read_all_stats: a version committed late with an older timestamp replaces the newer-stamped one', async () => {
	const ctx = await withoutStats(
		`CREATE TABLE public.accounts (id bigint PRIMARY KEY, balance numeric(14,2) NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
	);
	await w.src.query(`INSERT INTO public.accounts (id, balance, updated_at) SELECT g, 1.00, now() - interval '1 hour' FROM generate_series(1, 3) g`);
	const table = await w.register(incremental('upsert', 'accounts', 'updated_at', '5 minutes', { lookback: '10 minutes' }));
	const bronze = async () => (await w.wh.query(`SELECT id::int, balance::text FROM raw.${table} ORDER BY id`)).rows;
	const t1 = new pg.Client(connOf(w.source));
	await t1.connect();
	try {
		await extractAndLoad(ctx, table);
		// T1 starts (its rows will be stamped with this start time), then T2 changes rows 1 and 2 later and commits.
		await t1.query('BEGIN');
		const stampT1 = (await t1.query(`SELECT now()::text AS t`)).rows[0].t as string;
		await new Promise((r) => setTimeout(r, 50));
		await w.src.query(`UPDATE public.accounts SET balance = 200.00, updated_at = now() WHERE id IN (1, 2)`);
		const second = await extractAndLoad(ctx, table);
		expect(second.ld.rowsUpdated).toBe(2);
		// T1 now overwrites the same rows and commits: the current version carries the OLDER stamp.
		await t1.query(`UPDATE public.accounts SET balance = 100.00, updated_at = now() WHERE id IN (1, 2)`);
		await t1.query('COMMIT');
		const stamps = (await w.src.query(`SELECT array_agg(DISTINCT updated_at::text) AS s FROM public.accounts WHERE id IN (1, 2)`)).rows[0].s;
		expect(stamps).toEqual([stampT1]);

		const third = await extractAndLoad(ctx, table);
		expect(third.ex.rows).toBe(2); // the lookback re-reads T1's rows
		expect(third.ld.rowsUpdated).toBe(2);
		expect(await bronze()).toEqual([
			{ id: 1, balance: '100.00' },
			{ id: 2, balance: '100.00' },
			{ id: 3, balance: '1.00' },
		]);
		// Nothing changed since: the overlap is compared and left alone, not rewritten.
		const fourth = await extractAndLoad(ctx, table);
		expect(fourth.ld).toMatchObject({ rowsUpdated: 0, rowsUnchanged: 2 });
	} finally {
		await t1.end();
		await ctx.close();
	}
});

test('a prepared (two-phase) transaction holds the window at the watermark until COMMIT PREPARED, so its rows are not skipped', async () => {
	const ctx = await withoutStats(`CREATE TABLE public.payouts (id bigint PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now())`); // no pg_read_all_stats: pg_prepared_xacts is public
	await w.src.query(`INSERT INTO public.payouts (id, created_at) VALUES (1, now() - interval '1 hour')`);
	const table = await w.register(incremental('append', 'payouts', 'created_at', '5 minutes', { lookback: '0 seconds' }));
	const gid = `payout_${randomBytes(4).toString('hex')}`;
	const watermark = async () =>
		(await w.wh.query(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table])).rows[0].w as string;
	let pending = false;
	try {
		await extractAndLoad(ctx, table);
		// The two-phase writer stamps row 2 with its start time, prepares and leaves its session.
		const writer = new pg.Client(connOf(w.source));
		await writer.connect();
		await writer.query('BEGIN');
		await writer.query(`INSERT INTO public.payouts (id) VALUES (2)`);
		await writer.query(`PREPARE TRANSACTION '${gid}'`);
		pending = true;
		await writer.end();
		await new Promise((r) => setTimeout(r, 50));
		await w.src.query(`INSERT INTO public.payouts (id) VALUES (3)`); // newer stamp, committed first

		const before = await watermark();
		const held = await extractAndLoad(ctx, table);
		expect(held.ex.window.upperCappedBy).toBe('prepared_transaction');
		expect(held.ex.message).toMatch(/1 prepared transaction\(s\) pending in \w+ since .* hold the window at the watermark/);
		expect(held.ex.rows).toBe(0);
		expect(await watermark()).toBe(before);

		await w.src.query(`COMMIT PREPARED '${gid}'`);
		pending = false;
		const after = await extractAndLoad(ctx, table);
		expect(after.ex.window.upperCappedBy).toBe('safety_lag');
		expect(after.ex.rows).toBe(2);
		expect((await w.wh.query(`SELECT array_agg(id ORDER BY id)::int[] AS ids FROM raw.${table}`)).rows[0].ids).toEqual([1, 2, 3]);
	} finally {
		if (pending) await w.src.query(`ROLLBACK PREPARED '${gid}'`);
		await ctx.close();
	}
});
