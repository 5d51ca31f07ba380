import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findFlaggedUsers, forgetUsers } from '../../../src/anonymise/forget';
import { loadPolicyFile } from '../../../src/anonymise/policyLoader';
import type { AnonymiseDeps } from '../../../src/anonymise/runner';
import { createPool } from '../../../src/transport/postgres';
import { reconcileTable } from '../../../src/reconcile/reconcileTable';
import { createReconcileWorld, type ReconcileWorld } from './world';

/**
 * Rows deleted at the source of tables that hold personal data (their anonymisation policy names a subject column):
 * a repair erases the personal columns from bronze and marks the row, whatever on_source_delete says short of
 * 'delete'; the person's own row (subject = key) stays marked for the nightly Forget Users sweep, which then forgets
 * them everywhere. Run as the documented logins: reconcile as the replica + ETL logins, the forget as dwh_compliance.
 */
let w: ReconcileWorld;
let dir: string;
let people: string;
let visits: string;
let venues: string;
const opts = (extra: object = {}) => ({ segmentRows: 100, leafRows: 10, fanout: 4, policiesDir: dir, ...extra });
const SECRETS = { salts: { users: { '1': 'test-only-users-salt-v1-erasure' } }, hmacKey: 'test-only-hmac-key-erasure-0123456789abcdef0123' };

beforeAll(async () => {
	w = await createReconcileWorld('recon_erase');
	const db = w.source.database;
	dir = mkdtempSync(path.join(tmpdir(), 'reconcile-policies-'));
	writeFileSync(
		path.join(dir, `${db}.policy.json`),
		JSON.stringify({
			source_db: db,
			version: '1',
			tables: [
				{
					table: 'people',
					subject: { column: 'id' },
					columns: {
						id: { strategy: 'hash', salt: 'users' },
						email: { strategy: 'hash', salt: 'users' },
						phone: 'suppress',
						city: 'keep',
						deleted_at: 'keep',
						updated_at: 'keep',
					},
				},
				{
					table: 'visits',
					subject: { column: 'person_id' },
					columns: { id: 'keep', person_id: { strategy: 'hash', salt: 'users' }, ip: 'suppress', venue: 'keep', updated_at: 'keep' },
				},
				{ table: 'venues', subject: { none: 'places only, no person in this table' }, columns: { id: 'keep', name: 'keep', updated_at: 'keep' } },
			],
		}),
	);
	const old = `now() - interval '1 day' + g * interval '1 second'`;
	await w.src.query(
		`CREATE TABLE public.people (id bigint PRIMARY KEY, email text, phone text, city text, deleted_at timestamptz, updated_at timestamptz NOT NULL)`,
	);
	await w.src.query(
		`INSERT INTO public.people SELECT g, 'p' || g || '@example.co.za', '+2782' || lpad(g::text, 7, '0'), 'Durban', NULL, ${old} FROM generate_series(1, 300) g`,
	);
	await w.src.query(`CREATE TABLE public.visits (id bigint PRIMARY KEY, person_id bigint, ip text, venue text, updated_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.visits SELECT g, g % 300 + 1, '10.0.' || (g % 250) || '.1', 'venue' || (g % 7), ${old} FROM generate_series(1, 300) g`);
	await w.src.query(`CREATE TABLE public.venues (id bigint PRIMARY KEY, name text, updated_at timestamptz NOT NULL)`);
	await w.src.query(`INSERT INTO public.venues SELECT g, 'Venue ' || g, ${old} FROM generate_series(1, 300) g`);
	await w.grantReplica();
	const entry = { mode: 'incremental' as const, load_strategy: 'upsert' as const, watermark_column: 'updated_at', key_columns: ['id'], cadence: '15 minutes' };
	people = await w.register({ ...entry, source_table: 'people' });
	visits = await w.register({ ...entry, source_table: 'visits' });
	venues = await w.register({ ...entry, source_table: 'venues', on_source_delete: 'mark' });
	for (const t of [people, visits, venues]) await w.extractAndLoad(t);
});
afterAll(async () => {
	await w?.close();
	if (dir) rmSync(dir, { recursive: true, force: true });
});

const row = async (table: string, id: number) =>
	(await w.wh.query(`SELECT * FROM raw.${table} WHERE id = $1`, [id])).rows[0] as Record<string, unknown> | undefined;

test("a person's row deleted at the source (on_source_delete 'report') is erased and marked, then forgotten everywhere by the sweep", async () => {
	// The app deletes the person and (by its foreign keys) their visits.
	await w.src.query(`DELETE FROM public.visits WHERE person_id IN (2, 250)`);
	await w.src.query(`DELETE FROM public.people WHERE id IN (2, 250)`);
	const r = await reconcileTable(w.as, people, opts({ repair: true }));
	expect(r).toMatchObject({ status: 'repaired', extraInBronze: 2, erasedInBronze: 2, unresolved: 0 });
	expect(r.findings.map((f) => [f.key[0], f.kind, f.action, f.resolved]).sort()).toEqual([
		['2', 'extra_in_bronze', 'erased', true],
		['250', 'extra_in_bronze', 'erased', true],
	]);
	expect(r.message).toContain('2 bronze row(s) deleted at the source erased (personal columns set to NULL: email, phone; marked _dwh_deleted_at)');
	// The id stays (it is the key and the person's subject), the personal columns go, the kept column stays.
	expect(await row(people, 2)).toMatchObject({ id: '2', email: null, phone: null, city: 'Durban', _dwh_deleted_at: expect.any(Date) });
	expect(await row(people, 3)).toMatchObject({ email: 'p3@example.co.za', _dwh_deleted_at: null });
	// Audited as the ETL login reads it: the key and what was done, counted in the run; never a value.
	const audit = (
		await w.etl.pool.query(`SELECT key_values, action, resolved FROM dwh_control.reconcile_findings WHERE reconcile_run_id = $1 ORDER BY key_values[1]::int`, [
			r.reconcileRunId,
		])
	).rows;
	expect(audit).toEqual([
		{ key_values: ['2'], action: 'erased', resolved: true },
		{ key_values: ['250'], action: 'erased', resolved: true },
	]);
	const run = (
		await w.etl.pool.query(`SELECT erased_in_bronze::int AS n, message FROM dwh_control.reconcile_runs WHERE reconcile_run_id = $1`, [r.reconcileRunId])
	).rows[0];
	expect(run.n).toBe(2);
	expect(JSON.stringify(run)).not.toMatch(/example\.co\.za|\+2782/);

	// The forget path: the nightly sweep's flagged-users lookup (flag column deleted_at) now finds them, as dwh_compliance.
	const compliance = await w.login('dwh_compliance');
	const pool = createPool(compliance);
	try {
		const deps: AnonymiseDeps = { warehouse: pool, secrets: SECRETS };
		const flagged = await findFlaggedUsers(deps, { schema: 'raw', table: people, idColumn: 'id', flagColumn: 'deleted_at' });
		expect(flagged.map((f) => f.userId)).toEqual(['2', '250']);
		const outcomes = await forgetUsers(deps, {
			requests: flagged,
			policies: [loadPolicyFile(path.join(dir, `${w.source.database}.policy.json`))],
			reason: 'deleted at the source',
		});
		expect(outcomes.map((o) => o.status)).toEqual(['completed', 'completed']);
		expect(outcomes[0].actions).toContainEqual({ relation: `raw.${people}`, action: 'deleted', rows: 1 });
	} finally {
		await pool.end();
	}
	expect(await row(people, 2)).toBeUndefined();
	// Gone on both sides: the next reconcile matches, also for the visits the forget removed from bronze.
	expect(await reconcileTable(w.as, people, opts())).toMatchObject({ status: 'matched', unresolved: 0 });
	expect(await reconcileTable(w.as, visits, opts())).toMatchObject({ status: 'matched', unresolved: 0 });
});

test("another table's row deleted at the source loses its personal columns, or is deleted under 'delete'", async () => {
	await w.src.query(`DELETE FROM public.visits WHERE id = 10`);
	const r = await reconcileTable(w.as, visits, opts({ repair: true }));
	expect(r.findings.map((f) => [f.key[0], f.action, f.resolved])).toEqual([['10', 'erased', true]]);
	expect(await row(visits, 10)).toMatchObject({ person_id: null, ip: null, venue: 'venue3', _dwh_deleted_at: expect.any(Date) });

	await w.wh.query(`UPDATE dwh_control.source_tables SET on_source_delete = 'delete' WHERE table_name = $1`, [visits]);
	await w.src.query(`DELETE FROM public.visits WHERE id = 20`);
	const d = await reconcileTable(w.as, visits, opts({ repair: true }));
	expect(d).toMatchObject({ erasedInBronze: 0, findings: [{ key: ['20'], kind: 'extra_in_bronze', action: 'deleted', resolved: true }] });
	expect(await row(visits, 20)).toBeUndefined();
});

test('a table without a person follows on_source_delete; without a policy nothing is guessed and the run says so', async () => {
	await w.src.query(`DELETE FROM public.venues WHERE id IN (5, 6)`);
	const r = await reconcileTable(w.as, venues, opts({ repair: true }));
	expect(r).toMatchObject({ status: 'repaired', erasedInBronze: 0 });
	expect(r.findings.map((f) => f.action)).toEqual(['marked_deleted', 'marked_deleted']);
	expect(await row(venues, 5)).toMatchObject({ name: 'Venue 5', _dwh_deleted_at: expect.any(Date) });

	const empty = mkdtempSync(path.join(tmpdir(), 'reconcile-no-policies-'));
	try {
		await w.src.query(`DELETE FROM public.people WHERE id = 7`);
		const u = await reconcileTable(w.as, people, opts({ repair: true, policiesDir: empty }));
		expect(u).toMatchObject({ status: 'differences', erasedInBronze: 0, findings: [{ key: ['7'], action: 'reported', resolved: false }] });
		expect(u.message).toMatch(
			/^rows deleted at the source follow on_source_delete 'report' only: cannot tell whether they hold personal data \(.*no policy file/,
		);
	} finally {
		rmSync(empty, { recursive: true, force: true });
	}
});

test('a soft-deleted person Forget Users removed while the source keeps their rows is not brought back by a repair', async () => {
	// The app soft-deletes person 5 (design §6.8); the next load carries the flag and the sweep forgets them.
	await w.src.query(`UPDATE public.people SET deleted_at = now(), updated_at = now() WHERE id = 5`);
	await w.extractAndLoad(people);
	const compliance = await w.login('dwh_compliance');
	const pool = createPool(compliance);
	try {
		const deps: AnonymiseDeps = { warehouse: pool, secrets: SECRETS };
		const flagged = await findFlaggedUsers(deps, { schema: 'raw', table: people, idColumn: 'id', flagColumn: 'deleted_at' });
		expect(flagged.map((f) => f.userId)).toContain('5');
		const [out] = await forgetUsers(deps, { requests: [{ userId: '5' }], policies: [loadPolicyFile(path.join(dir, `${w.source.database}.policy.json`))] });
		expect(out.actions).toEqual(expect.arrayContaining([{ relation: `raw.${visits}`, action: 'deleted', rows: 1 }]));
	} finally {
		await pool.end();
	}

	// Without the HMAC key the person's rows cannot be told from lost ones: nothing is re-extracted, and the run says why.
	const blind = await reconcileTable(w.as, visits, opts({ repair: true }));
	expect(blind).toMatchObject({ status: 'differences', repairRunId: null, forgottenSubjects: 0 });
	expect(blind.findings.map((f) => [f.key[0], f.kind, f.action])).toEqual([['4', 'missing_in_bronze', 'reported']]);
	expect(blind.message).toContain('1 missing or stale key(s) not re-extracted: this table holds personal data and people have been forgotten');
	expect(await row(visits, 4)).toBeUndefined();

	// With it (the node's Anonymisation Secrets credential) the forgotten person's rows are no difference at all.
	for (const t of [people, visits]) {
		const r = await reconcileTable(w.as, t, opts({ repair: true }), { hmacKey: SECRETS.hmacKey });
		expect(r.findings.filter((f) => f.kind !== 'extra_in_bronze')).toEqual([]);
		expect(r).toMatchObject({ forgottenSubjects: 1, unresolved: 0 });
		expect(r.message).toContain('1 differing key(s) belong to forgotten people: not reported, not re-extracted');
	}
	expect(await row(people, 5)).toBeUndefined();
	expect(await row(visits, 4)).toBeUndefined();
	const runs = (await w.etl.pool.query(`SELECT forgotten_subjects::int AS n FROM dwh_control.reconcile_runs ORDER BY reconcile_run_id DESC LIMIT 2`)).rows;
	expect(runs).toEqual([{ n: 1 }, { n: 1 }]);
});
