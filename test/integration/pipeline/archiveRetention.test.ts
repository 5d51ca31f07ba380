import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetBucketLifecycleConfigurationCommand, PutBucketLifecycleConfigurationCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import pg from 'pg';
import { defaultRegistryPath } from '../../../src/control/registryFile';
import { sweepArchive } from '../../../src/control/sweepArchive';
import { tryLockTable, unlockTable } from '../../../src/control/tableLock';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { applyArchiveLifecycle, readLifecycleRules } from '../../../src/transport/archiveLifecycle';
import { testEnv } from '../../harness/testEnv';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';
import { objectStoreEnv, runCli } from '../../harness/runCli';

/**
 * The archive's retention (issue 12 item 2) on the test's real S3 server (MinIO or s3rver, DWH_TEST_S3): the
 * lifecycle rules the CLI sets on MinIO (other rules of the bucket kept), the sweep that deletes expired CSVs where a
 * server has none, run as the dwh_compliance login — expired objects removed, newer ones kept, nothing outside
 * <prefix>/exports/ and <prefix>/processed/ touched, a table being loaded left alone, every folder audited — and a
 * CSV still inside the window replays.
 */
const DAYS = 30;

let w: World;
let table: string;
let compliance: pg.Pool;
let complianceUrl: string;
let compliancePassword: string;
/** The clock the sweeps use: between the old and the new objects' write times, 30 days later. */
let later: Date;
let ex1: Awaited<ReturnType<typeof extractTable>>;
let ex0ProcessedKey: string;

const put = (key: string) => w.ctx.store.client.send(new PutObjectCommand({ Bucket: w.ctx.store.cfg.bucket, Key: key, Body: 'id,email\n1,x@example.co.za\n' }));
const keys = async () => (await w.ctx.store.list('')).sort();
const addRows = (from: number, to: number) =>
	w.src.query(`INSERT INTO public.transactions (id, amount_zar) SELECT g, g / 100.0 FROM generate_series($1::int, $2::int) g`, [from, to]);
/** Outside the two CSV areas of the prefix: another prefix, another folder, a look-alike folder name. */
const OUTSIDE = ['elsewhere/processed/t/old.csv', 'dataacuity/keep/old.csv', 'dataacuity/processed.bak/old.csv', 'dataacuity/exportsX/old.csv'];

beforeAll(async () => {
	w = await createWorld('archive_ret');
	await w.src.query(`CREATE TABLE public.transactions (id bigint PRIMARY KEY, amount_zar numeric(14,2), created_at timestamptz NOT NULL DEFAULT now())`);
	table = await w.register(incremental('append', 'transactions', 'created_at', '5 minutes'));
	const login = await w.login('dwh_compliance');
	compliance = new pg.Pool({ host: login.host, port: login.port, database: login.database, user: login.user, password: login.password, max: 2 });
	compliancePassword = login.password ?? '';
	complianceUrl = `postgres://${login.user}:${encodeURIComponent(login.password ?? '')}@${login.host}:${login.port}/${login.database}`;

	// Old: a loaded run's CSV in processed/, a stale CSV of another table in exports/, objects outside the areas.
	await addRows(1, 40);
	const ex0 = await extractTable(w.ctx, table);
	const ld0 = await loadBronze(w.ctx, { table, runId: ex0.runId!, csvPath: ex0.csvPath! });
	ex0ProcessedKey = ld0.processedPath!.slice(`s3://${w.ctx.store.cfg.bucket}/`.length);
	await put('dataacuity/exports/other_table/stale.csv');
	for (const k of OUTSIDE) await put(k);
	const oldest = await w.ctx.store.listObjects('');
	// s3rver stamps whole seconds: 2.5 s apart, the two generations never share one.
	await new Promise((r) => setTimeout(r, 2500));
	// New: a run extracted but not loaded yet (its CSV waits in exports/).
	await addRows(41, 60);
	ex1 = await extractTable(w.ctx, table);
	const newest = (await w.ctx.store.listObjects('')).filter((o) => !oldest.some((x) => x.key === o.key));
	const oldMax = Math.max(...oldest.map((o) => o.lastModified.getTime()));
	const newMin = Math.min(...newest.map((o) => o.lastModified.getTime()));
	expect(newMin).toBeGreaterThan(oldMax);
	later = new Date((oldMax + newMin) / 2 + DAYS * 86_400_000);
}, 120_000);
afterAll(async () => {
	await compliance?.end();
	await w?.close();
});

test('the registry keeps the archive no longer than the 30-day erasure SLA, and refuses more naming the field', async () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'dwh-archive-registry-'));
	const file = path.join(dir, 'source-registry.json');
	const registry = JSON.parse(readFileSync(defaultRegistryPath(), 'utf8'));
	expect(registry.retention).toEqual({ raw_days: 90, archive_days: 30 });
	writeFileSync(file, JSON.stringify({ ...registry, retention: { raw_days: 90, archive_days: 45 } }));
	const r = await cli(['--file', file, '--dry-run'], {});
	expect(r.code).toBe(1);
	expect(r.stderr).toContain('retention.archive_days: retention.archive_days must be at most 30: the archived CSVs carry the people Forget Users removes');
});

test('lifecycle rules: MinIO gets one expiry rule per CSV area of the prefix, other rules kept; s3rver has none and says so', async () => {
	const store = w.ctx.store;
	const before = await keys();
	if (testEnv().s3.kind === 's3rver') {
		expect(await applyArchiveLifecycle(store, DAYS)).toEqual({ supported: false, rules: [], otherRules: 0, dryRun: false });
		expect(await readLifecycleRules(store)).toBeNull();
		expect(await keys()).toEqual(before);
		return;
	}
	const other = { ID: 'another-team', Status: 'Enabled' as const, Filter: { Prefix: 'elsewhere/' }, Expiration: { Days: 7 } };
	await store.client.send(new PutBucketLifecycleConfigurationCommand({ Bucket: store.cfg.bucket, LifecycleConfiguration: { Rules: [other] } }));
	expect(await applyArchiveLifecycle(store, 20)).toMatchObject({ supported: true, otherRules: 1 });
	// Applied again with the registry's days: the pack's rules are replaced, not added twice.
	expect(await applyArchiveLifecycle(store, DAYS)).toMatchObject({ supported: true, otherRules: 1 });
	const res = await store.client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: store.cfg.bucket }));
	const rules = (res.Rules ?? []).map((r) => ({
		id: r.ID,
		prefix: r.Filter?.Prefix,
		days: r.Expiration?.Days,
		status: r.Status,
		noncurrent: r.NoncurrentVersionExpiration?.NoncurrentDays,
	}));
	expect(rules.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
		{ id: 'another-team', prefix: 'elsewhere/', days: 7, status: 'Enabled', noncurrent: undefined },
		{ id: 'dataacuity-archive:dataacuity/exports/', prefix: 'dataacuity/exports/', days: DAYS, status: 'Enabled', noncurrent: 1 },
		{ id: 'dataacuity-archive:dataacuity/processed/', prefix: 'dataacuity/processed/', days: DAYS, status: 'Enabled', noncurrent: 1 },
	]);
	expect(await keys()).toEqual(before);
});

test('the CLI sets the rules from the registry (MinIO) or says the server has none (s3rver)', async () => {
	const r = await cli([], objectStoreEnv(w.ctx.store.cfg));
	if (testEnv().s3.kind === 's3rver') {
		expect(r.code).toBe(1);
		expect(r.stdout).toContain('the server has no lifecycle support — expired CSVs must be deleted by the archive sweep');
	} else {
		expect(r.code).toBe(0);
		expect(r.stdout).toContain(`set dataacuity-archive:dataacuity/processed/: objects under dataacuity/processed/ expire ${DAYS} days after they were written`);
		expect(r.stdout).toContain(`2 archive rule(s), 1 other rule(s) kept`);
	}
	expect(r.stdout + r.stderr).not.toContain(testEnv().s3.secretAccessKey);
});

test('a table being extracted or loaded is left alone: its expired CSVs wait for the next sweep', async () => {
	const holder = await w.wh.connect();
	try {
		expect(await tryLockTable(holder, table)).toBe(true);
		const results = await sweepArchive(compliance, w.ctx.store, { days: DAYS, now: later, lockWaitMs: 200 });
		expect(results.map((r) => [r.area, r.table, r.status, r.objectsRemoved, r.objectsKept])).toEqual([
			['exports', table, 'completed', 0, 1],
			['exports', 'other_table', 'completed', 1, 0],
			['processed', table, 'skipped', 0, 1],
		]);
		expect(results[2].message).toBe('an extract or load of the table held its lock; 1 expired object(s) are left for the next run');
		await unlockTable(holder, table);
	} finally {
		holder.release();
	}
	expect(await keys()).toContain(ex0ProcessedKey);
});

test('the sweep removes expired CSVs, keeps newer ones and everything outside the areas, and audits each folder', async () => {
	const results = await sweepArchive(compliance, w.ctx.store, { days: DAYS, now: later, executionId: 'exec-archive-1' });
	expect(results.map((r) => [r.area, r.table, r.status, r.objectsRemoved, r.objectsKept])).toEqual([
		['exports', table, 'completed', 0, 1],
		['processed', table, 'completed', 1, 0],
	]);
	expect(await keys()).toEqual([...OUTSIDE, w.ctx.store.parseCsvPath(table, ex1.csvPath!)].sort());
	const { rows } = await w.wh.query(
		`SELECT layer, table_name, retention_days, status, objects_removed::int AS objects, bytes_removed > 0 AS bytes, n8n_execution_id, finished_at IS NOT NULL AS finished
		   FROM dwh_control.retention_runs ORDER BY retention_run_id`,
	);
	expect(rows).toEqual([
		{ layer: 'exports', table_name: table, retention_days: DAYS, status: 'completed', objects: 0, bytes: false, n8n_execution_id: null, finished: true },
		{ layer: 'exports', table_name: 'other_table', retention_days: DAYS, status: 'completed', objects: 1, bytes: true, n8n_execution_id: null, finished: true },
		{ layer: 'processed', table_name: table, retention_days: DAYS, status: 'skipped', objects: 0, bytes: false, n8n_execution_id: null, finished: true },
		{
			layer: 'exports',
			table_name: table,
			retention_days: DAYS,
			status: 'completed',
			objects: 0,
			bytes: false,
			n8n_execution_id: 'exec-archive-1',
			finished: true,
		},
		{
			layer: 'processed',
			table_name: table,
			retention_days: DAYS,
			status: 'completed',
			objects: 1,
			bytes: true,
			n8n_execution_id: 'exec-archive-1',
			finished: true,
		},
	]);
	// Bronze keeps the rows of the run whose CSV expired.
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n).toBe(40);
});

test('a CSV inside the window still replays after the sweep', async () => {
	const ld = await loadBronze(w.ctx, { table, runId: ex1.runId!, csvPath: ex1.csvPath! });
	expect([ld.status, ld.rowsInserted]).toEqual(['loaded', 20]);
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM raw.${table}`)).rows[0].n).toBe(60);
});

test('the CLI --sweep deletes what has expired by the real clock (nothing here yet) and audits it', async () => {
	const before = await keys();
	const r = await cli(['--sweep', '--url', complianceUrl], objectStoreEnv(w.ctx.store.cfg));
	expect(r.code).toBe(0);
	expect(r.stdout).toContain(`completed processed/${table}: 0 object(s) removed (0 bytes), 1 kept`);
	expect(r.stdout).toMatch(/0 object\(s\) removed from 1 folder\(s\), 0 failed/);
	expect(r.stdout + r.stderr).not.toContain(compliancePassword);
	expect(await keys()).toEqual(before);
});

const cli = (args: string[], env: Record<string, string>) =>
	runCli('archive-lifecycle', args, { env, unset: ['DWH_WAREHOUSE_URL', 'DWH_S3_BUCKET'], timeoutMs: 60_000 });
