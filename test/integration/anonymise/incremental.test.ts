import { anonymiseRelation, type AnonymiseResult } from '../../../src/anonymise/runner';
import { incremental, registerTable } from '../../harness/registerTable';
import { createAnonWorld, loadSyntheticPii, type AnonWorld } from './world';

/**
 * Incremental Anonymise Relation: only bronze rows loaded since the last build, merged by key. The oracle is a full
 * rebuild of the same bronze: after every increment the published table must be exactly what a rebuild gives.
 */
let w: AnonWorld;
const ASOF = '2026-11-25';

beforeAll(async () => {
	w = await createAnonWorld('anon_incr');
	await loadSyntheticPii(w.wh, 40);
	await registerTable(w.wh, 'auth_db', incremental('upsert', 'users', 'updated_at', '15 minutes'));
	await registerTable(w.wh, 'auth_db', incremental('append', 'sessions', 'created_at', '5 minutes'));
	await registerTable(w.wh, 'auth_db', { source_table: 'kyc_records', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' });
});
afterAll(async () => w?.close());

const build = (table: string, mode: 'full' | 'incremental', asOf = ASOF): Promise<AnonymiseResult> =>
	anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table, asOf, build: mode });

/** The published table as comparable JSON, in key order. */
async function published(relation: string, key: string): Promise<unknown[]> {
	const { rows } = await w.wh.query(`SELECT to_jsonb(t) AS r FROM ${relation} t ORDER BY ${key}`);
	return rows.map((r) => r.r);
}

async function loadRun(runId: number, sql: string): Promise<void> {
	// What a load does to bronze: rows inserted or updated, each stamped with the load's run id.
	await w.wh.query(sql.replaceAll(':run', String(runId)));
}

test('the first incremental request is a full build that records its watermark', async () => {
	const r = await build('users', 'incremental');
	expect(r).toMatchObject({ build: 'full', buildNote: 'full rebuild: no published build yet', inputWatermark: '1', rowsOut: 40 });
	const { rows } = await w.wh.query(`SELECT mode, input_watermark::text AS wm, build_note FROM dwh_control.anonymise_runs WHERE run_id = $1`, [r.runId]);
	expect(rows[0]).toEqual({ mode: 'set', wm: '1', build_note: 'full rebuild: no published build yet' });
});

test('an update and a new user are merged by their hashed key, and the table equals a full rebuild', async () => {
	await loadRun(
		2,
		`UPDATE raw.auth_db__users SET home_city = 'Qonce', province = 'Eastern Cape', _dwh_run_id = :run WHERE id = 3;
		 CREATE TEMP TABLE new_user AS SELECT * FROM raw.auth_db__users WHERE id = 5;
		 UPDATE new_user SET id = 1001, email = 'thandi.new@example.co.za', _dwh_run_id = :run;
		 INSERT INTO raw.auth_db__users SELECT * FROM new_user; DROP TABLE new_user;`,
	);
	const r = await build('users', 'incremental');
	expect(r).toMatchObject({ build: 'incremental', buildNote: null, inputWatermark: '2', rowsIn: 2, rowsOut: 2 });
	const { rows } = await w.wh.query(
		`SELECT mode, status, input_watermark::text AS wm, rows_in::int, rows_out::int FROM dwh_control.anonymise_runs WHERE run_id = $1`,
		[r.runId],
	);
	expect(rows[0]).toEqual({ mode: 'incremental', status: 'published', wm: '2', rows_in: 2, rows_out: 2 });
	const afterIncrement = await published('intermediate.int_auth_db__users', 'user_hash');
	expect(afterIncrement).toHaveLength(41);
	expect(afterIncrement.filter((u) => (u as { home_city: string }).home_city === 'Qonce')).toHaveLength(1);

	const full = await build('users', 'full');
	expect(full).toMatchObject({ build: 'full', buildNote: null, rowsOut: 41 });
	expect(await published('intermediate.int_auth_db__users', 'user_hash')).toEqual(afterIncrement);
});

test('nothing loaded since: an empty increment changes nothing', async () => {
	const before = await published('intermediate.int_auth_db__users', 'user_hash');
	const r = await build('users', 'incremental');
	expect(r).toMatchObject({ build: 'incremental', rowsIn: 0, rowsOut: 0, inputWatermark: '2' });
	expect(await published('intermediate.int_auth_db__users', 'user_hash')).toEqual(before);
});

test('a new as-of date (age bands move) forces a full rebuild and says why', async () => {
	const r = await build('users', 'incremental', '2026-11-26');
	expect(r).toMatchObject({ build: 'full', buildNote: 'full rebuild: the as-of date changed (2026-11-25 → 2026-11-26; age bands move with it)' });
	await build('users', 'full'); // back to the test's as-of date
});

test('append-only sessions: new rows are added, and equal a full rebuild', async () => {
	expect(await build('sessions', 'incremental')).toMatchObject({ build: 'full' });
	await loadRun(
		3,
		`CREATE TEMP TABLE s AS SELECT * FROM raw.auth_db__sessions ORDER BY id LIMIT 3;
		 UPDATE s SET id = gen_random_uuid(), _dwh_run_id = :run;
		 INSERT INTO raw.auth_db__sessions SELECT * FROM s; DROP TABLE s;`,
	);
	const r = await build('sessions', 'incremental');
	expect(r).toMatchObject({ build: 'incremental', rowsIn: 3, rowsOut: 3, inputWatermark: '3' });
	const incremental = await published('intermediate.int_auth_db__sessions', 'session_id');
	await build('sessions', 'full');
	expect(await published('intermediate.int_auth_db__sessions', 'session_id')).toEqual(incremental);
});

test('a snapshot table is always rebuilt: rows that left bronze must leave the published table', async () => {
	await build('kyc_records', 'full');
	const r = await build('kyc_records', 'incremental');
	expect(r).toMatchObject({ build: 'full', buildNote: 'full rebuild: snapshot / replace table: rows that left bronze must leave the published table too' });
});

test('a changed policy file forces a full rebuild', async () => {
	const edited = { ...w.policy('auth_db'), sha256: 'a'.repeat(64) };
	const r = await anonymiseRelation(w.deps, { policy: edited, table: 'users', asOf: ASOF, build: 'incremental' });
	expect(r).toMatchObject({ build: 'full', buildNote: 'full rebuild: the policy changed since the last build' });
});

test('a CSV replayed by hand after newer loads (rows stamped with an old run id) forces a full rebuild', async () => {
	await build('users', 'full'); // after the edited-policy build above
	expect(await build('users', 'incremental')).toMatchObject({ build: 'incremental' });
	// Run 1 of the table is loaded only now (a replay): its rows carry run id 1, below the last build's watermark.
	await w.wh.query(
		`INSERT INTO dwh_control.extract_runs (run_id, table_name, status, mode, run_started_at, run_finished_at) VALUES (1, 'auth_db__users', 'loaded', 'incremental', now(), now())`,
	);
	await w.wh.query(`UPDATE raw.auth_db__users SET status = 'suspended', _dwh_run_id = 1 WHERE id = 9`);
	const r = await build('users', 'incremental');
	expect(r).toMatchObject({
		build: 'full',
		buildNote: expect.stringMatching(/^full rebuild: a run older than the last build's watermark \(2\) was loaded since/),
	});
	const { rows } = await w.wh.query(`SELECT count(*)::int AS n FROM intermediate.int_auth_db__users WHERE status = 'suspended'`);
	expect(rows[0].n).toBeGreaterThanOrEqual(1);
	// Recorded with this build: the next increment is incremental again.
	expect(await build('users', 'incremental')).toMatchObject({ build: 'incremental', rowsOut: 0 });
});
