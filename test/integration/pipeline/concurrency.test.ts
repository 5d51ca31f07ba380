import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { openPipelineContext } from '../../../src/pipeline/context';
import { createWorld, type World } from './world';

let w: World;

beforeAll(async () => {
	w = await createWorld('concurrency');
});
afterAll(() => w.close());

test('parallel executions for the same tables while a writer keeps inserting: bronze equals the source exactly', async () => {
	const tables: string[] = [];
	for (const name of ['bids', 'auctions', 'payouts']) {
		await w.src.query(`CREATE TABLE public.${name} (id bigserial PRIMARY KEY, amount_zar numeric(14,2), updated_at timestamptz NOT NULL DEFAULT now())`);
		tables.push(
			await w.register({
				source_table: name,
				mode: 'incremental',
				load_strategy: name === 'auctions' ? 'upsert' : 'append',
				watermark_column: 'updated_at',
				key_columns: ['id'],
				cadence: '5 minutes',
				lookback: '0 seconds',
			}),
		);
	}
	let writing = true;
	const writer = (async () => {
		let i = 0;
		while (writing) {
			const name = ['bids', 'auctions', 'payouts'][i++ % 3];
			await w.src.query(`INSERT INTO public.${name} (amount_zar) SELECT random() * 1000 FROM generate_series(1, 20)`);
			if (name === 'auctions') await w.src.query(`UPDATE public.auctions SET amount_zar = amount_zar + 1, updated_at = now() WHERE id % 7 = $1`, [i % 7]);
		}
	})();

	// 12 "executions", each with its own pools like separate n8n workers, racing over the same 3 tables.
	const executions = Array.from({ length: 12 }, (_, n) => async () => {
		const ctx = openPipelineContext({ source: w.source, warehouse: w.warehouse, store: w.ctx.store.cfg, executionId: `exec-${n}` });
		const statuses: string[] = [];
		try {
			for (let round = 0; round < 3; round++) {
				for (const table of tables) {
					const ex = await extractTable(ctx, table);
					statuses.push(ex.status);
					if (ex.status === 'uploaded') await loadBronze(ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
				}
			}
		} finally {
			await ctx.close();
		}
		return statuses;
	});
	const statuses = (await Promise.all(executions.map((e) => e()))).flat();
	writing = false;
	await writer;
	expect(statuses).not.toContain('failed');
	expect(statuses).toContain('skipped');

	// Drain: one last quiet run per table picks up whatever the writer added at the end.
	for (const table of tables) {
		const ex = await extractTable(w.ctx, table);
		expect(ex.status).toBe('uploaded');
		await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	}
	for (const [i, name] of ['bids', 'auctions', 'payouts'].entries()) {
		const src = await w.src.query(`SELECT count(*)::int AS n, coalesce(sum(amount_zar), 0)::text AS s FROM public.${name}`);
		const brz = await w.wh.query(`SELECT count(*)::int AS n, coalesce(sum(amount_zar), 0)::text AS s, count(DISTINCT id)::int AS d FROM raw.${tables[i]}`);
		expect(brz.rows[0]).toEqual({ ...src.rows[0], d: src.rows[0].n });
	}
	const runs = await w.wh.query(`SELECT status, count(*)::int AS n FROM dwh_control.extract_runs GROUP BY status ORDER BY status`);
	expect(runs.rows.map((r) => r.status).sort()).toEqual(['loaded', 'skipped']);
	// Watermarks only ever moved forward: each loaded run's window upper is >= the previous one's.
	const backwards = await w.wh.query(
		`SELECT count(*)::int AS n FROM (
		   SELECT window_upper < lag(window_upper) OVER (PARTITION BY table_name ORDER BY run_finished_at) AS back
		     FROM dwh_control.extract_runs WHERE status = 'loaded') x WHERE back`,
	);
	expect(backwards.rows[0].n).toBe(0);
});
