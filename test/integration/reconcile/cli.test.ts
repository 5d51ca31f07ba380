import type { PostgresConnectionInput } from '../../../src/config/connection.schema';
import { createReconcileWorld, type ReconcileWorld } from './world';
import { incremental } from '../../harness/registerTable';
import { objectStoreEnv, runCli } from '../../harness/runCli';

const cli = (args: string[], env: Record<string, string> = {}) =>
	runCli('reconcile', args, { env, unset: ['DWH_WAREHOUSE_URL', 'DWH_SOURCE_URL'], timeoutMs: 120_000 });

let w: ReconcileWorld;
let table: string;
let urls: string[];

beforeAll(async () => {
	w = await createReconcileWorld('reconcile_cli');
	await w.src.query(
		`CREATE TABLE public.orders (id bigint PRIMARY KEY, amount numeric(12,2), updated_at timestamptz NOT NULL DEFAULT now() - interval '1 day')`,
	);
	await w.src.query(`INSERT INTO public.orders (id, amount) SELECT g, g FROM generate_series(1, 300) g`);
	await w.grantReplica();
	table = await w.register(incremental('upsert', 'orders', 'updated_at', '1 hour', { lookback: '5 minutes' }));
	await w.extractAndLoad(table);
	const url = (c: PostgresConnectionInput, database = c.database) =>
		`postgres://${c.user}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${database}`;
	// The replica URL names any database: each table is read from its source_db.
	urls = ['--url', url(w.etl.connection), '--source-url', url(w.replica.connection, 'postgres')];
});
afterAll(() => w?.close());

test('dwh:reconcile as the ETL and replica logins: 0 when bronze matches, 1 with the counts when not, 0 after --repair; no password printed', async () => {
	const ok = await cli([...urls, '--table', table]);
	expect(ok.code).toBe(0);
	expect(ok.stdout).toMatch(new RegExp(`${table} +matched +0 missing, 0 deleted at source, 0 stale, 0 changed meanwhile; rows 300/300`));

	await w.wh.query(`DELETE FROM raw.${table} WHERE id IN (5, 250)`);
	const diff = await cli([...urls, '--all']);
	expect(diff.code).toBe(1);
	expect(diff.stdout).toMatch(new RegExp(`${table} +differences +2 missing, 0 deleted at source, 0 stale`));
	expect(diff.stdout).toContain('1 table(s) reconciled; differences left or failures: see dwh_control.v_reconcile_status');

	const repaired = await cli([...urls, '--table', table, '--repair'], objectStoreEnv(w.ctx.store.cfg));
	expect(repaired.code).toBe(0);
	expect(repaired.stdout).toMatch(new RegExp(`${table} +repaired +2 missing`));
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n).toBe(300);
	for (const out of [ok, diff, repaired]) {
		expect(out.stdout + out.stderr).not.toContain(w.etl.password);
		expect(out.stdout + out.stderr).not.toContain(w.replica.password);
	}
});

test('usage errors exit 2 and say what to pass', async () => {
	const none = await cli([...urls]);
	expect(none.code).toBe(2);
	expect(none.stderr).toContain('Name the tables with --table <name> (repeatable), or pass --all.');
	const noS3 = await cli([...urls, '--table', table, '--repair']);
	expect(noS3.code).toBe(2);
	expect(noS3.stderr).toContain(
		'--repair writes the re-extracted keys as a CSV to the object store: set DWH_S3_BUCKET, DWH_S3_ACCESS_KEY_ID, DWH_S3_SECRET_ACCESS_KEY.',
	);
	const bad = await cli([...urls, '--table', table, '--segment-rows', 'lots']);
	expect(bad.code).toBe(2);
	expect(bad.stderr).toContain('--segment-rows must be a whole number, not "lots".');
});
