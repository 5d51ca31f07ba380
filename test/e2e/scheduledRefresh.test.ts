import pg from 'pg';
import { holidaysFor } from '../../src/enrich/holidays';
import { createMartsFixtures } from '../integration/pushback/marts';
import { nodeItems, runWorkflow } from './harness/instance';
import { pipelineSuite } from './harness/pipeline';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * The time-based jobs of design §10.2 as shipped workflows, headless in real n8n 1.123 (Node 20) and 2.41 (Node 24):
 * - dwh-pushback-hourly pushes every ready-made target whose marts exist and skips (does not fail on) the ones dbt
 *   has not built yet;
 * - dwh-holidays-weekly refreshes marts.dim_holidays for last year to two years ahead from the packaged data.
 */
const TIMEOUT = 6 * 60_000;
describe.each(RUNTIME_KEYS)('the hourly and weekly refreshes on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'scheduled-refresh', 'e2e_sched');

	beforeAll(async () => {
		await w.importShipped(['dwh-pushback-hourly.json', 'dwh-holidays-weekly.json']);
	}, TIMEOUT);

	test(
		'the hourly push sends every target whose marts exist and skips the rest',
		async () => {
			await createMartsFixtures(w.p.wh);
			await w.p.wh.query(
				`INSERT INTO marts.dim_fx_rates_daily (currency, rate_date, units_per_zar, source) VALUES ('USD', current_date - 1, 0.054, 'e2e') ON CONFLICT DO NOTHING`,
			);
			// SDPKT's mart is not built yet: its target must be skipped, not fail the hour.
			await w.p.wh.query('DROP TABLE marts.fct_sdpkt_payments');
			const run = await runWorkflow(w.inst, 'dwhPushHourly001');
			const pushed = nodeItems(run, 'Push each target').map((i) => `${String(i.target)}: ${String(i.status ?? i.error)}`);
			expect(pushed.sort()).toEqual(
				['bidbaas.category_pulse', 'bidbaas.user_summary', 'shared.fx_rates_daily', 'shared.user_lifecycle', 'tagme.poi_popularity', 'tagme.user_summary'].map(
					(t) => `${t}: pushed`,
				),
			);
			const runs = await w.p.wh.query<{ target_name: string; status: string }>('SELECT target_name, status FROM dwh_control.push_runs ORDER BY target_name');
			expect(runs.rows.map((x) => [x.target_name, x.status])).toEqual([
				['bidbaas.category_pulse', 'pushed'],
				['bidbaas.user_summary', 'pushed'],
				['shared.fx_rates_daily', 'pushed'],
				['shared.user_lifecycle', 'pushed'],
				['tagme.poi_popularity', 'pushed'],
				['tagme.user_summary', 'pushed'],
			]);
			const an = new pg.Client({ ...w.p.analytics });
			await an.connect();
			try {
				expect((await an.query('SELECT count(*)::int AS n FROM tagme.user_summary')).rows[0].n).toBe(6);
				expect((await an.query("SELECT to_regclass('sdpkt.user_summary') IS NULL AS absent")).rows[0].absent).toBe(true);
			} finally {
				await an.end();
			}
		},
		TIMEOUT,
	);

	test(
		'the weekly holiday refresh loads last year to two years ahead',
		async () => {
			const run = await runWorkflow(w.inst, 'dwhHolidaysWeek1');
			const year = new Date().getUTCFullYear();
			const { rows } = await w.p.wh.query<{ y: number; n: number }>(
				"SELECT extract(year FROM holiday_date)::int AS y, count(*)::int AS n FROM marts.dim_holidays WHERE country_code = 'ZA' GROUP BY 1 ORDER BY 1",
			);
			expect(rows).toEqual([year - 1, year, year + 1, year + 2].map((y) => ({ y, n: holidaysFor('ZA', y).length })));
			expect(nodeItems(run, 'Load holidays')[0]).toMatchObject({ countries: ['ZA'], fromYear: year - 1, toYear: year + 2 });
		},
		TIMEOUT,
	);
});
