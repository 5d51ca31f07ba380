import pg from 'pg';
import { createLogin, type Login } from '../../harness/loginRole';
import { migratedWarehouse } from '../../harness/migratedWarehouse';

/**
 * Migration 0150: a push made in the same n8n execution as a successful dbt build records, through the push login's
 * own push_run_* functions, up to when the sources are in what it pushed and after when the rows it delivered first
 * were committed; the latency view, its 24-hour summary and v_latency_alerts read that; v_chain_dbt_pending says
 * which tables the chain's dbt stage builds next.
 */
let wh: pg.Pool;
let database: string;
let pusher: Login;
let reader: Login;

/** Timestamps relative to one instant two hours before the test, so expectations are exact. */
const BASE = Math.floor(Date.now() / 1000) * 1000 - 2 * 3600_000;
const T = (minutesAgo: number) => new Date(BASE - minutesAgo * 60_000).toISOString();

async function loadedRun(table: string, upper: string, changed: number, finishedAt: string, oldestStamp: string | null = null): Promise<number> {
	const { rows } = await wh.query<{ run_id: string }>(
		`INSERT INTO dwh_control.extract_runs (table_name, status, mode, window_upper, rows_inserted, rows_updated, run_started_at, run_finished_at, oldest_changed_stamp)
		 VALUES ($1, 'extracting', 'incremental', $2, $3, 0, $4, $4, $5) RETURNING run_id`,
		[table, upper, changed, finishedAt, oldestStamp],
	);
	const id = Number(rows[0].run_id);
	// Through the status machine, as extract and load do.
	for (const s of ['uploaded', 'loading', 'loaded']) await wh.query('UPDATE dwh_control.extract_runs SET status = $2 WHERE run_id = $1', [id, s]);
	return id;
}

async function published(table: string, startedAt: string, inputWatermark: number | null, rowsOut = 1): Promise<void> {
	await wh.query(
		`INSERT INTO dwh_control.anonymise_runs (source_db, source_table, input_relation, output_relation, mode, status, policy_version, as_of_date,
		                                         run_started_at, run_finished_at, input_watermark, rows_out)
		 VALUES ('x_db', $1, 'raw.x_db__' || $1, 'intermediate.int_x_db__' || $1, 'incremental', 'published', 'v1', current_date, $2, $2, $3, $4)`,
		[table, startedAt, inputWatermark, rowsOut],
	);
}

async function dbtBuild(id: string, execution: string, startedAt: string, selection: string[] = []): Promise<void> {
	await wh.query(
		`INSERT INTO dwh_control.dbt_runs (run_id, project, command, selection, status, started_at, finished_at, n8n_execution_id)
		 VALUES ($1, 'dataacuity', 'build', $4, 'success', $3, $3::timestamptz + interval '1 minute', $2)`,
		[id, execution, startedAt, selection],
	);
}

/** A push through the push login's functions (the path the Push Back node takes). */
async function push(target: string, execution: string | null): Promise<number> {
	const { rows } = await pusher.pool.query<{ push_run_id: string }>(
		`SELECT push_run_id FROM dwh_control.push_run_start($1, $1, 'query', 'mirror', 5, NULL, $2)`,
		[target, execution],
	);
	const id = Number(rows[0].push_run_id);
	await pusher.pool.query('SELECT dwh_control.push_run_finish($1, false, 10, 10, 0, 0, 0, 0, 0)', [id]);
	return id;
}

const freshness = async (id: number) =>
	(
		await wh.query(
			`SELECT source_through, through_table, oldest_commit_after, through_by_table, dbt_run_id FROM dwh_control.push_freshness WHERE push_run_id = $1`,
			[id],
		)
	).rows[0];

beforeAll(async () => {
	const w = await migratedWarehouse('ctl_chain', 2);
	wh = w.pool;
	database = w.connection.database;
	pusher = await createLogin(database, ['dwh_pushback'], 'chain_push');
	reader = await createLogin(database, ['dwh_readonly'], 'chain_read');
	for (const t of ['a', 'b']) {
		await wh.query(
			`INSERT INTO dwh_control.source_tables (table_name, source_db, source_table, mode, load_strategy, watermark_column, key_columns, cadence)
			 VALUES ($1, 'x_db', $2, 'incremental', 'upsert', 'updated_at', '{id}', '5 minutes')`,
			[`x_db__${t}`, t],
		);
	}
});

afterAll(async () => {
	await pusher?.drop();
	await reader?.drop();
	await wh?.end();
});

test('a chain push records the sources it includes, and the rows it delivered first', async () => {
	// a: back-fill through 60 min ago, then a change through 40 min ago; b: an empty run through 41 min ago.
	const a1 = await loadedRun('x_db__a', T(60), 100, T(59));
	const a2 = await loadedRun('x_db__a', T(40), 3, T(39));
	await loadedRun('x_db__b', T(41), 0, T(39));
	await published('a', T(38), a2);
	await published('b', T(38), null, 0);
	// A change loaded after the builds started is not in them.
	await loadedRun('x_db__a', T(30), 2, T(29));
	await dbtBuild('d1', 'exec-1', T(28));
	const id = await push('shared.user_lifecycle', 'exec-1');

	const f = await freshness(id);
	expect(a1).toBeLessThan(a2);
	expect(f.dbt_run_id).toBe('d1');
	expect(f.source_through.toISOString()).toBe(T(41));
	expect(f.through_table).toBe('x_db__b');
	// a2's rows were committed after a1's upper bound; the back-fill is history, not latency.
	expect(f.oldest_commit_after.toISOString()).toBe(T(60));
	expect(Object.keys(f.through_by_table).sort()).toEqual(['x_db__a', 'x_db__b']);
	expect(new Date(f.through_by_table.x_db__a).toISOString()).toBe(T(40));

	// Next tick: the change through 30 min ago is anonymised and built; only it is new to this target.
	await published('a', T(20), a2 + 10);
	await published('b', T(20), null, 0);
	await dbtBuild('d2', 'exec-2', T(19));
	const id2 = await push('shared.user_lifecycle', 'exec-2');
	const g = await freshness(id2);
	expect(g.source_through.toISOString()).toBe(T(41));
	expect(new Date(g.through_by_table.x_db__a).toISOString()).toBe(T(30));
	expect(g.oldest_commit_after.toISOString()).toBe(T(40));

	// The load records the oldest stamp among the rows it changed: their commit is after it, so the bound tightens.
	const a4 = await loadedRun('x_db__a', T(10), 1, T(9), T(12));
	await published('a', T(8), a4);
	await dbtBuild('d2b', 'exec-2b', T(7));
	const h = await freshness(await push('shared.user_lifecycle', 'exec-2b'));
	expect(h.oldest_commit_after.toISOString()).toBe(T(12));

	// A push in an execution without a dbt build (the hourly push) is not measured; nor one without an execution id.
	expect(await freshness(await push('shared.user_lifecycle', 'exec-hourly'))).toBeUndefined();
	expect(await freshness(await push('shared.user_lifecycle', null))).toBeUndefined();
	// The push login cannot write the freshness record itself.
	await expect(pusher.pool.query(`DELETE FROM dwh_control.push_freshness`)).rejects.toThrow(/permission denied/);
});

test('the latency view, its summary and the alert over the SLA, as the read-only role', async () => {
	const { rows } = await reader.pool.query(
		`SELECT target_name, extract(epoch FROM latency)::int AS latency_s, over_sla FROM dwh_control.v_source_to_analytics_latency ORDER BY push_run_id`,
	);
	// pushed_at is the push's own clock time, so only the SLA verdict is exact: the rows waited about three hours.
	expect(rows.map((r) => [r.target_name, r.over_sla])).toEqual([
		['shared.user_lifecycle', true],
		['shared.user_lifecycle', true],
		['shared.user_lifecycle', true],
	]);
	const alerts = await reader.pool.query(`SELECT severity, area, alert, subject, detail FROM dwh_control.v_pipeline_alerts_by_severity WHERE area = 'latency'`);
	expect(alerts.rows).toEqual([
		{
			severity: 'P2',
			area: 'latency',
			alert: 'latency_over_sla',
			subject: 'shared.user_lifecycle',
			detail: expect.stringMatching(/^source rows waited up to .+ to reach analytics_db \(SLA 01:00:00\); slowest source x_db__b$/),
		},
	]);

	// A longer SLA (set by the DBA, not a login) silences it; the summary counts the measured pushes.
	await wh.query(`UPDATE dwh_control.pipeline_settings SET value = '100 years' WHERE name = 'latency_sla'`);
	expect((await reader.pool.query(`SELECT count(*)::int AS n FROM dwh_control.v_latency_alerts`)).rows[0].n).toBe(0);
	await expect(reader.pool.query(`UPDATE dwh_control.pipeline_settings SET value = '1 second'`)).rejects.toThrow(/permission denied/);
	const summary = await reader.pool.query(
		`SELECT target_name, pushes, pushes_with_new_rows FROM dwh_control.v_latency_summary ORDER BY target_name NULLS LAST`,
	);
	// pushed_at is now (the pushes ran in this test); only the three chain pushes are measured.
	expect(summary.rows).toEqual([
		{ target_name: 'shared.user_lifecycle', pushes: 3, pushes_with_new_rows: 3 },
		{ target_name: null, pushes: 3, pushes_with_new_rows: 3 },
	]);
	await wh.query(`UPDATE dwh_control.pipeline_settings SET value = '1 hour' WHERE name = 'latency_sla'`);
});

test('v_chain_dbt_pending: tables whose anonymised rows changed after the last build that selected them', async () => {
	const pending = async () => (await reader.pool.query(`SELECT table_name, dbt_selector FROM dwh_control.v_chain_dbt_pending ORDER BY 1`)).rows;
	// a was last anonymised with rows at T(20) and built by d2 at T(19); b's builds wrote no rows.
	expect(await pending()).toEqual([]);
	await published('a', T(5), 999, 4);
	expect(await pending()).toEqual([{ table_name: 'x_db__a', dbt_selector: 'source:x_db.a+' }]);
	// A build of something else does not cover it; one that selects it does.
	await dbtBuild('d3', 'exec-3', T(4), ['source:x_db.other+']);
	expect(await pending()).toEqual([{ table_name: 'x_db__a', dbt_selector: 'source:x_db.a+' }]);
	await dbtBuild('d4', 'exec-4', T(3), ['source:x_db.a+']);
	expect(await pending()).toEqual([]);
	// The DbtRun node records its Select field as written: one element, selectors separated by spaces.
	await published('a', T(2), 1000, 1);
	await dbtBuild('d5', 'exec-5', T(1), ['source:x_db.other+  source:x_db.ab+']);
	expect(await pending()).toEqual([{ table_name: 'x_db__a', dbt_selector: 'source:x_db.a+' }]);
	await dbtBuild('d6', 'exec-6', T(0.5), ['source:x_db.other+  source:x_db.a+ ']);
	expect(await pending()).toEqual([]);
});
