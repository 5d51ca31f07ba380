import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { openPipelineContext } from '../../../src/pipeline/context';
import { reconcileTable } from '../../../src/reconcile/reconcileTable';
import { createLogin, type Login } from '../../harness/loginRole';
import { createReconcileWorld, type ReconcileWorld } from './world';
import { incremental } from '../../harness/registerTable';

/**
 * Reconcile against real servers, as the documented logins: the source side through the replica login, bronze through
 * the ETL login. Small segments and leaves so the bisection runs several levels on a few thousand rows.
 */
let w: ReconcileWorld;
let dashboard: Login;
let users: string;
const opts = { segmentRows: 1000, leafRows: 40, fanout: 4 };
const keysOf = (r: { findings: { key: string[]; kind: string }[] }, kind: string) =>
	r.findings
		.filter((f) => f.kind === kind)
		.map((f) => f.key.join(','))
		.sort((a, b) => Number(a) - Number(b));
const bronzeRow = async (id: number) =>
	(await w.wh.query(`SELECT email, _dwh_run_id::int AS run FROM raw.${users} WHERE id = $1`, [id])).rows[0] as { email: string; run: number } | undefined;

beforeAll(async () => {
	w = await createReconcileWorld('reconcile');
	await w.src.query(`CREATE TABLE public.users (id bigint PRIMARY KEY, email text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(
		`INSERT INTO public.users SELECT g, 'user' || g || '@example.co.za', now() - interval '2 days' + g * interval '1 second' FROM generate_series(1, 5000) g`,
	);
	await w.grantReplica();
	users = await w.register(incremental('upsert', 'users', 'updated_at', '15 minutes', { lookback: '5 minutes' }));
	await w.extractAndLoad(users);
	// Planner estimates on both sides: the integer key is cut into segments arithmetically (the text key below is walked).
	await w.src.query(`ANALYZE public.users`);
	await w.wh.query(`ANALYZE raw.${users}`);
	dashboard = await createLogin(w.warehouse.database, ['dwh_readonly'], 'dashboard');
});
afterAll(async () => {
	await dashboard?.drop();
	await w?.close();
});

const reconcileAlerts = async () =>
	(await dashboard.pool.query(`SELECT alert, subject, detail FROM dwh_control.v_pipeline_alerts WHERE area = 'reconcile'`)).rows;

test('a table that matches reports zero differences, reading each side about once', async () => {
	const r = await reconcileTable(w.as, users, opts);
	expect(r).toMatchObject({
		status: 'matched',
		sourceRows: 5000,
		bronzeRows: 5000,
		missingInBronze: 0,
		extraInBronze: 0,
		staleInBronze: 0,
		unresolved: 0,
		findings: [],
	});
	// One aggregate pass per side: the segments of an integer key are cut without reading the table.
	expect(r.bronzeRowsRead).toBe(5000);
	expect(r.sourceRowsRead).toBe(5000);
	expect(r.rangesCompared).toBe(5);
	const run = (
		await w.wh.query(
			`SELECT status, source_rows::int, unresolved::int, compared_up_to = watermark - interval '5 minutes' AS bounded FROM dwh_control.reconcile_runs WHERE reconcile_run_id = $1`,
			[r.reconcileRunId],
		)
	).rows[0];
	expect(run).toEqual({ status: 'matched', source_rows: 5000, unresolved: 0, bounded: true });
});

test('rows lost from bronze, hard-deleted at the source and stale in bronze are each found by key; rows changed since the load are not', async () => {
	await w.wh.query(`DELETE FROM raw.${users} WHERE id IN (10, 2000, 4999)`);
	await w.src.query(`DELETE FROM public.users WHERE id IN (20, 3000)`);
	// Changed under an old stamp (below the watermark): no window will ever read it again.
	await w.src.query(`UPDATE public.users SET email = 'renamed40@example.co.za', updated_at = updated_at + interval '1 second' WHERE id = 40`);
	// Changed and inserted after the load: the next window carries them; no difference.
	await w.src.query(`UPDATE public.users SET email = 'new50@example.co.za', updated_at = now() WHERE id = 50`);
	await w.src.query(`INSERT INTO public.users VALUES (5001, 'new@example.co.za', now())`);

	const r = await reconcileTable(w.as, users, opts);
	expect(r.status).toBe('differences');
	expect(keysOf(r, 'missing_in_bronze')).toEqual(['10', '2000', '4999']);
	expect(keysOf(r, 'extra_in_bronze')).toEqual(['20', '3000']);
	expect(keysOf(r, 'stale_in_bronze')).toEqual(['40']);
	expect(r).toMatchObject({ missingInBronze: 3, extraInBronze: 2, staleInBronze: 1, unresolved: 6, sourceRows: 4997, bronzeRows: 4997 });
	expect(r.findings.every((f) => f.action === 'reported' && !f.resolved)).toBe(true);
	// Bisection: far fewer rows fetched than a copy of the table would move.
	expect(r.rangesCompared).toBeGreaterThan(5);

	const stored = (
		await w.etl.pool.query(
			`SELECT kind, key_values, action FROM dwh_control.reconcile_findings WHERE reconcile_run_id = $1 ORDER BY kind, key_values[1]::int`,
			[r.reconcileRunId],
		)
	).rows;
	expect(stored).toEqual([
		{ kind: 'extra_in_bronze', key_values: ['20'], action: 'reported' },
		{ kind: 'extra_in_bronze', key_values: ['3000'], action: 'reported' },
		{ kind: 'missing_in_bronze', key_values: ['10'], action: 'reported' },
		{ kind: 'missing_in_bronze', key_values: ['2000'], action: 'reported' },
		{ kind: 'missing_in_bronze', key_values: ['4999'], action: 'reported' },
		{ kind: 'stale_in_bronze', key_values: ['40'], action: 'reported' },
	]);
	// Nothing of a row but its key is stored anywhere.
	const texts = JSON.stringify((await w.wh.query(`SELECT * FROM dwh_control.reconcile_runs`)).rows) + JSON.stringify(stored);
	expect(texts).not.toMatch(/@example\.co\.za/);

	// Dashboards see the alert with counts, and cannot read the keys.
	const [alert] = await reconcileAlerts();
	expect(alert).toEqual({
		alert: 'reconcile_differences',
		subject: users,
		detail: expect.stringMatching(
			new RegExp(
				`^6 unresolved difference\\(s\\) in rows stamped up to .+: 3 missing in bronze, 2 deleted at the source, 1 stale in bronze; keys in dwh_control.reconcile_findings, reconcile_run_id ${r.reconcileRunId}$`,
			),
		),
	});
	await expect(dashboard.pool.query(`SELECT * FROM dwh_control.reconcile_findings`)).rejects.toThrow('permission denied for table reconcile_findings');
	expect((await dashboard.pool.query(`SELECT status, unresolved::int FROM dwh_control.v_reconcile_status WHERE table_name = $1`, [users])).rows).toEqual([
		{ status: 'differences', unresolved: 6 },
	]);
});

test('a key that changes between the comparison and its re-check is not reported', async () => {
	await w.wh.query(`DELETE FROM raw.${users} WHERE id IN (60, 61)`);
	const r = await reconcileTable(w.as, users, opts, {
		beforeRecheck: async () => {
			await w.src.query(`UPDATE public.users SET updated_at = now() WHERE id = 60`);
		},
	});
	expect(keysOf(r, 'missing_in_bronze')).toEqual(['10', '61', '2000', '4999']);
	// 60, and 50 (changed after the load, so its bronze version is older than the compared bound on the source).
	expect(r.changedDuringRun).toBe(2);
});

test('repair re-extracts missing and stale keys as a repair run, marks rows deleted at the source, leaves the watermark', async () => {
	await w.wh.query(`UPDATE dwh_control.source_tables SET on_source_delete = 'mark' WHERE table_name = $1`, [users]);
	const before = (
		await w.wh.query(`SELECT last_extracted_at::text AS w, last_run_id::int AS r FROM dwh_control.extract_watermarks WHERE table_name = $1`, [users])
	).rows[0];

	const r = await reconcileTable(w.as, users, { ...opts, repair: true });
	expect(r.status).toBe('repaired');
	expect(r.unresolved).toBe(0);
	expect(r.findings.filter((f) => f.kind !== 'extra_in_bronze').every((f) => f.action === 'reextracted' && f.resolved)).toBe(true);
	expect(r.findings.filter((f) => f.kind === 'extra_in_bronze').map((f) => [f.key[0], f.action, f.resolved])).toEqual(
		expect.arrayContaining([
			['20', 'marked_deleted', true],
			['3000', 'marked_deleted', true],
		]),
	);

	const repairRun = (
		await w.wh.query(`SELECT mode, status, rows_extracted::int AS n, window_upper FROM dwh_control.extract_runs WHERE run_id = $1`, [r.repairRunId])
	).rows[0];
	expect(repairRun).toEqual({ mode: 'repair', status: 'loaded', n: 5, window_upper: null });
	expect(await bronzeRow(10)).toEqual({ email: 'user10@example.co.za', run: r.repairRunId });
	expect(await bronzeRow(61)).toEqual({ email: 'user61@example.co.za', run: r.repairRunId });
	expect(await bronzeRow(40)).toEqual({ email: 'renamed40@example.co.za', run: r.repairRunId });
	const marked = (await w.wh.query(`SELECT id::int FROM raw.${users} WHERE _dwh_deleted_at IS NOT NULL ORDER BY id`)).rows.map((x) => x.id);
	expect(marked).toEqual([20, 3000]);
	const after = (
		await w.wh.query(`SELECT last_extracted_at::text AS w, last_run_id::int AS r FROM dwh_control.extract_watermarks WHERE table_name = $1`, [users])
	).rows[0];
	expect(after).toEqual(before);

	expect(await reconcileAlerts()).toEqual([]);
	const again = await reconcileTable(w.as, users, opts);
	expect(again).toMatchObject({ status: 'matched', unresolved: 0, findings: [] });

	// The regular pipeline carries on over the marked column.
	await w.extractAndLoad(users);
	expect((await bronzeRow(50))?.email).toBe('new50@example.co.za');

	// A key deleted at the source that comes back is missing from bronze's live rows, and its repair unmarks it.
	await w.src.query(`INSERT INTO public.users VALUES (20, 'back20@example.co.za', now() - interval '1 day')`);
	const back = await reconcileTable(w.as, users, { ...opts, repair: true });
	expect(back.findings.map((f) => [f.key[0], f.kind, f.action, f.resolved])).toEqual([['20', 'missing_in_bronze', 'reextracted', true]]);
	expect((await w.wh.query(`SELECT email, _dwh_deleted_at FROM raw.${users} WHERE id = 20`)).rows[0]).toEqual({
		email: 'back20@example.co.za',
		_dwh_deleted_at: null,
	});
});

test("on_source_delete 'delete' removes bronze rows whose key is gone from the source", async () => {
	await w.wh.query(`UPDATE dwh_control.source_tables SET on_source_delete = 'delete' WHERE table_name = $1`, [users]);
	await w.src.query(`DELETE FROM public.users WHERE id IN (70, 4000)`);
	const r = await reconcileTable(w.as, users, { ...opts, repair: true });
	expect(r.status).toBe('repaired');
	expect(r.findings.map((f) => [f.key[0], f.kind, f.action, f.resolved])).toEqual(
		expect.arrayContaining([
			['70', 'extra_in_bronze', 'deleted', true],
			['4000', 'extra_in_bronze', 'deleted', true],
		]),
	);
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${users} WHERE id IN (70, 4000)`)).rows[0].n).toBe(0);
});

/**
 * Runs `during` while a writer updates random users with ids from `fromId` (stamped now) and inserts new ones above
 * `newIds`, as the apps do; returns its result once the writer has stopped, with how many rounds it wrote.
 */
async function whileWriting<T>(fromId: number, newIds: number, during: () => Promise<T>): Promise<{ result: T; writes: number }> {
	let stop = false;
	let writes = 0;
	const writer = (async () => {
		while (!stop) {
			await w.src.query(
				`UPDATE public.users SET email = 'w' || id || '@example.co.za', updated_at = now() WHERE id = ($1::int + floor(random() * (4990 - $1::int)))::int`,
				[fromId],
			);
			await w.src.query(`INSERT INTO public.users VALUES ($1::int + $2::int, 'w@example.co.za', now())`, [newIds, writes]);
			writes++;
		}
	})();
	try {
		return { result: await during(), writes };
	} finally {
		stop = true;
		await writer;
	}
}

test('writes landing while the reconcile runs are no differences', async () => {
	// Writes from id 1000 up: ids below are the next test's known losses, and a row written here (stamped after the
	// watermark, never loaded) would rightly be left to the next window there instead of being reported.
	const { result: r, writes } = await whileWriting(1000, 10000, () => reconcileTable(w.as, users, opts));
	expect(r).toMatchObject({ status: 'matched', findings: [], unresolved: 0 });
	expect(writes).toBeGreaterThan(0);
});

test('a repair while the source changes re-extracts only the rows really lost; after the next load the table matches', async () => {
	await w.wh.query(`DELETE FROM raw.${users} WHERE id IN (100, 101)`);
	const { result: r, writes } = await whileWriting(1000, 20000, () => reconcileTable(w.as, users, { ...opts, repair: true }));
	expect(writes).toBeGreaterThan(0);
	expect(r.findings.map((f) => [f.key[0], f.kind, f.action, f.resolved])).toEqual([
		['100', 'missing_in_bronze', 'reextracted', true],
		['101', 'missing_in_bronze', 'reextracted', true],
	]);
	expect(r).toMatchObject({ status: 'repaired', unresolved: 0 });
	// The rows changed meanwhile are the next window's: once it is loaded, bronze equals the source again.
	await w.extractAndLoad(users);
	expect(await reconcileTable(w.as, users, opts)).toMatchObject({ status: 'matched', findings: [], unresolved: 0 });
	expect(await bronzeRow(100)).toMatchObject({ email: 'user100@example.co.za' });
});

test('a composite text key is compared in one order on both servers', async () => {
	await w.src.query(
		`CREATE TABLE public.codes (tenant text, code text, label text, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (tenant, code))`,
	);
	await w.src.query(`INSERT INTO public.codes SELECT t, c, 'label', now() - interval '1 day'
		FROM unnest(ARRAY['Zulu', 'alpha', 'Émile', 'beta|x']) t, (SELECT 'c' || g AS c FROM generate_series(1, 300) g) s`);
	await w.grantReplica();
	const codes = await w.register({
		source_table: 'codes',
		mode: 'incremental',
		load_strategy: 'upsert',
		watermark_column: 'updated_at',
		key_columns: ['tenant', 'code'],
		cadence: '1 hour',
	});
	await w.extractAndLoad(codes);
	const matched = await reconcileTable(w.as, codes, { segmentRows: 200, leafRows: 20, fanout: 4 });
	// Walked into segments of 200 keys (5 × 201 index entries, then the last 200 counted), 1,200 rows per side aggregated.
	expect(matched).toMatchObject({ status: 'matched', rangesCompared: 6, sourceRowsRead: 1205 + 1200, bronzeRowsRead: 1200 });

	await w.wh.query(`DELETE FROM raw.${codes} WHERE (tenant, code) IN (('Émile', 'c7'), ('beta|x', 'c300'))`);
	await w.src.query(`DELETE FROM public.codes WHERE (tenant, code) = ('Zulu', 'c150')`);
	const r = await reconcileTable(w.as, codes, { segmentRows: 200, leafRows: 20, fanout: 4 });
	expect(r.findings.map((f) => `${f.kind}:${f.key.join('/')}`).sort()).toEqual([
		'extra_in_bronze:Zulu/c150',
		'missing_in_bronze:beta|x/c300',
		'missing_in_bronze:Émile/c7',
	]);
});

test('snapshot tables and never-loaded tables are refused with the reason', async () => {
	await w.src.query(`CREATE TABLE public.dims (id int PRIMARY KEY, name text)`);
	const dims = await w.register({ source_table: 'dims', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' });
	await expect(reconcileTable(w.as, dims)).rejects.toThrow(
		`${dims} is a snapshot table: every load replaces bronze with the whole source table, so there is nothing to reconcile`,
	);
	await w.src.query(`CREATE TABLE public.fresh (id int PRIMARY KEY, updated_at timestamptz NOT NULL DEFAULT now())`);
	const fresh = await w.register(incremental('upsert', 'fresh', 'updated_at', '1 hour'));
	await expect(reconcileTable(w.as, fresh)).rejects.toThrow(`${fresh} has not been loaded yet (no watermark): extract and load it first, then reconcile`);
	await expect(reconcileTable(w.as, users, { fanout: 1 })).rejects.toThrow('fanout must be at least 2');
});

test('the credentials bound it: one source connection is enough, and a statement timeout fails the run cleanly and alerts', async () => {
	const narrow = openPipelineContext({
		source: postgresConnectionSchema.parse({ ...w.replica.connection, maxConnections: 1 }),
		warehouse: postgresConnectionSchema.parse({ ...w.etl.connection, maxConnections: 2 }),
		store: w.ctx.store.cfg,
	});
	try {
		expect((await reconcileTable(narrow, users, { ...opts, parallel: 8 })).status).toBe('matched');
	} finally {
		await narrow.close();
	}

	const hurried = openPipelineContext({
		source: postgresConnectionSchema.parse({ ...w.replica.connection, statementTimeoutMs: 1 }),
		warehouse: postgresConnectionSchema.parse(w.etl.connection),
		store: w.ctx.store.cfg,
	});
	try {
		// One segment of all 5,000 rows: its aggregate (a hash per row) takes well over the 1 ms allowed.
		await expect(reconcileTable(hurried, users, { ...opts, segmentRows: 100_000 })).rejects.toThrow(
			/^Reconcile \d+ of .+ failed: canceling statement due to statement timeout \[SQLSTATE 57014\]$/,
		);
	} finally {
		await hurried.close();
	}
	const [alert] = (await dashboard.pool.query(`SELECT alert, detail FROM dwh_control.v_pipeline_alerts WHERE area = 'reconcile' AND subject = $1`, [users]))
		.rows;
	expect(alert).toEqual({ alert: 'reconcile_failed', detail: 'canceling statement due to statement timeout [SQLSTATE 57014]' });
	expect((await reconcileTable(w.as, users, opts)).status).toBe('matched');
	expect(
		(await dashboard.pool.query(`SELECT count(*)::int AS n FROM dwh_control.v_pipeline_alerts WHERE area = 'reconcile' AND subject = $1`, [users])).rows[0].n,
	).toBe(0);
});
