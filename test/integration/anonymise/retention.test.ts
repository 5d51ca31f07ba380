import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Anonymise } from '../../../nodes/Anonymise/Anonymise.node';
import { parsePolicyText } from '../../../src/anonymise/policyLoader';
import { anonymiseRelation, type AnonymiseDeps } from '../../../src/anonymise/runner';
import { loadRegistryFile, syncRegistry } from '../../../src/control/registrySync';
import { expireRawRows } from '../../../src/control/expireRaw';
import { tryLockTable, unlockTable } from '../../../src/control/tableLock';
import { stageLogin, type Login } from '../../harness/loginRole';
import { incremental, registerTable } from '../../harness/registerTable';
import { ObjectStore } from '../../../src/transport/objectStore';
import { freshBucket } from '../../harness/testEnv';
import { executeNode, objectStoreCredential, postgresCredential } from '../nodes/nodeHarness';
import { createAnonWorld, loadSyntheticPii, type AnonWorld } from './world';
import { asRole } from '../../harness/asRole';

/**
 * Raw retention (design doc §8.1) against real Postgres, logged in as a dwh_compliance login (docs/security.md): expired rows of an append
 * table leave raw in batches once anonymised, a running load makes the table wait, every run is audited per table,
 * and neither an incremental nor a full Anonymise build reads the expiry as deletion.
 */
let w: AnonWorld;
let etl: Login;
let deps: AnonymiseDeps;
const TABLE = 'tagme_db__check_ins';
const OUT = 'intermediate.int_tagme_db__check_ins';

beforeAll(async () => {
	w = await createAnonWorld('anon_retention');
	await loadSyntheticPii(w.wh, 40);
	await w.wh.query(`ALTER TABLE raw.${TABLE} OWNER TO dwh_owner`);
	await registerTable(w.wh, 'tagme_db', incremental('append', 'check_ins', 'created_at', '1 hour', { raw_retention_days: 90 }));
	// Check-ins 1..50 were loaded 100 days ago (run 1), 51..80 ten days ago (run 2).
	await w.wh.query(`UPDATE raw.${TABLE} SET _dwh_run_id = CASE WHEN id <= 50 THEN 1 ELSE 2 END,
		_dwh_loaded_at = now() - CASE WHEN id <= 50 THEN interval '100 days' ELSE interval '10 days' END`);
	etl = await stageLogin(w.whConn.database, 'dwh_compliance'); // retention removes PII from raw: compliance's job
	deps = { ...w.deps, warehouse: etl.pool };
	await anonymiseRelation(deps, { policy: w.policy('tagme_db'), table: 'check_ins', asOf: '2026-11-25' });
	// A late, old-stamped load that no build has published yet (run 3): it must wait for one.
	await w.wh.query(`INSERT INTO raw.${TABLE} (id, user_id, poi_id, lat, lng, accuracy_m, device_id, note, created_at, _dwh_run_id, _dwh_loaded_at)
		SELECT 1000 + g, g, 1, -26.2, 28.04, 5, 'dev' || g, NULL, '2026-08-01T10:00:00Z', 3, now() - interval '95 days' FROM generate_series(1, 5) g`);
});
afterAll(async () => {
	await etl?.drop();
	await w?.close();
});

const count = async (sql: string) => Number((await w.wh.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`)).rows[0].n);
const published = async () => (await w.wh.query(`SELECT * FROM ${OUT} ORDER BY check_in_id`)).rows;

test('the shipped registry declares 90 days for every append table and nothing for state or snapshot tables', async () => {
	const registry = loadRegistryFile();
	expect(registry.retention).toEqual({ raw_days: 90, archive_days: 30 });
	for (const t of registry.tables) expect([t.source_table, t.raw_retention_days]).toEqual([t.source_table, t.load_strategy === 'append' ? 90 : null]);
});

test('a running extract or load of the table makes the run leave it for next time', async () => {
	const holder = await w.wh.connect();
	try {
		expect(await tryLockTable(holder, TABLE)).toBe(true);
		const [r] = await expireRawRows(etl.pool, { lockWaitMs: 200 });
		expect(r).toMatchObject({
			table: TABLE,
			status: 'skipped',
			rowsRemoved: 0,
			batches: 0,
			message: 'an extract or load of the table held its lock; the next run continues; 5 expired rows are kept until an Anonymise build publishes them',
		});
		await unlockTable(holder, TABLE);
	} finally {
		holder.release();
	}
	expect(await count(`raw.${TABLE}`)).toBe(85);
});

test('expired rows leave raw in batches once published; unpublished ones stay; the run is audited', async () => {
	const [r] = await expireRawRows(etl.pool, { batchSize: 20, executionId: 'exec-1' });
	expect(r).toMatchObject({ table: TABLE, retentionDays: 90, status: 'completed', rowsRemoved: 50, batches: 3, rowsKeptUnanonymised: 5 });
	expect(await count(`raw.${TABLE}`)).toBe(35);
	expect(await count(`raw.${TABLE} WHERE id <= 50`)).toBe(0);
	const { rows } = await w.wh.query(
		`SELECT table_name, layer, retention_days, status, rows_removed::int AS removed, batches, rows_kept_unanonymised::int AS kept, n8n_execution_id,
		        cutoff BETWEEN now() - interval '90 days 1 minute' AND now() - interval '89 days 23 hours' AS cutoff_ok
		   FROM dwh_control.retention_runs ORDER BY retention_run_id`,
	);
	expect(rows.map((x) => [x.status, x.removed, x.batches, x.kept])).toEqual([
		['skipped', 0, 0, 5],
		['completed', 50, 3, 5],
	]);
	expect(rows[1]).toMatchObject({ table_name: TABLE, layer: 'raw', retention_days: 90, n8n_execution_id: 'exec-1', cutoff_ok: true });
	// dashboards can see the audit
	const seen = await asRole(w.wh, 'dwh_readonly', async (c) => (await c.query(`SELECT count(*)::int AS n FROM dwh_control.retention_runs`)).rows[0].n);
	expect(seen).toBe(2);
});

test('an incremental build, then a full one, keep the anonymised history of the expired rows', async () => {
	const before = await published();
	expect(before).toHaveLength(80);
	const inc = await anonymiseRelation(deps, { policy: w.policy('tagme_db'), table: 'check_ins', asOf: '2026-11-25', build: 'incremental' });
	expect([inc.build, inc.rowsOut]).toEqual(['incremental', 5]);
	const withLate = await published();
	expect(withLate).toHaveLength(85);
	expect(withLate.filter((r) => r.check_in_id <= 80)).toEqual(before);

	const full = await anonymiseRelation(deps, { policy: w.policy('tagme_db'), table: 'check_ins', asOf: '2026-11-25' });
	expect([full.build, full.rowsIn, full.rowsOut, full.buildNote]).toEqual(['full', 35, 85, '50 published rows kept whose raw rows expired (retention)']);
	expect(await published()).toEqual(withLate);

	// Now the late rows are published, the next run expires them too.
	const [r] = await expireRawRows(etl.pool);
	expect(r).toMatchObject({ status: 'completed', rowsRemoved: 5, rowsKeptUnanonymised: 0, message: null });
	expect(await count(`raw.${TABLE}`)).toBe(30);
	expect(await published()).toEqual(withLate);
});

test('after a policy change the expired rows stay, with the hashes that could not be recomputed set to NULL', async () => {
	const loaded = w.policy('tagme_db');
	const changed = parsePolicyText(JSON.stringify({ ...loaded.policy, version: `${loaded.policy.version}-reviewed` }), 'tagme_db.policy.json');
	const full = await anonymiseRelation(deps, { policy: changed, table: 'check_ins', asOf: '2026-11-25' });
	expect([full.rowsIn, full.rowsOut]).toEqual([30, 85]);
	expect(await count(`${OUT} WHERE user_hash IS NULL AND device_hash IS NULL`)).toBe(55);
	expect(await count(`${OUT} WHERE user_hash IS NOT NULL`)).toBe(30);
	const { rows } = await w.wh.query(`SELECT count(*)::int AS n FROM ${OUT} WHERE lat_grid IS NOT NULL AND created_at IS NOT NULL`);
	expect(rows[0].n).toBe(85);
});

test('the shipped registry syncs its retention into dwh_control', async () => {
	const fresh = await createAnonWorld('anon_retention_sync');
	try {
		await syncRegistry(fresh.wh, loadRegistryFile());
		const { rows } = await fresh.wh.query(
			`SELECT load_strategy, array_agg(DISTINCT coalesce(raw_retention_days, 0)) AS days FROM dwh_control.source_tables GROUP BY 1 ORDER BY 1`,
		);
		expect(rows).toEqual([
			{ load_strategy: 'append', days: [90] },
			{ load_strategy: 'replace', days: [0] },
			{ load_strategy: 'upsert', days: [0] },
		]);
	} finally {
		await fresh.close();
	}
});

test("the Anonymise node's Apply Retention (the dwh-retention-daily workflow) expires raw rows and sweeps the archive as the compliance login, one item per table and layer", async () => {
	// Five more rows loaded 120 days ago by a published run, and a CSV written just now.
	await w.wh.query(`INSERT INTO raw.${TABLE} (id, user_id, poi_id, lat, lng, accuracy_m, device_id, note, created_at, _dwh_run_id, _dwh_loaded_at)
		SELECT 3000 + g, g, 1, -26.2, 28.04, 5, 'dev' || g, NULL, '2026-07-01T10:00:00Z', 1, now() - interval '120 days' FROM generate_series(1, 5) g`);
	const store = await freshBucket('anon-retention-node');
	const fresh = `${store.prefix}/processed/${TABLE}/20261205_0900_SAST_9.csv`;
	const s3 = new ObjectStore(store);
	await s3.client.send(new PutObjectCommand({ Bucket: store.bucket, Key: fresh, Body: 'id\n1\n' }));
	const credentials = { dataAcuityPostgres: postgresCredential(etl.connection), dataAcuityObjectStore: objectStoreCredential(store) };
	const [items] = await executeNode({
		nodeType: new Anonymise(),
		parameters: { operation: 'applyRetention', sweepArchive: true },
		credentials,
		executionId: '8001',
	});
	expect(
		items.map((i) => [i.json.layer, i.json.table, i.json.status, i.json.rowsRemoved, i.json.objectsRemoved, i.json.objectsKept, i.json.retentionDays]),
	).toEqual([
		['raw', TABLE, 'completed', 5, 0, 0, 90],
		['processed', TABLE, 'completed', 0, 0, 1, 30],
	]);
	expect(await s3.list('')).toEqual([fresh]);
	expect(await count(`raw.${TABLE} WHERE id > 3000`)).toBe(0);
	const { rows } = await w.wh.query(
		`SELECT layer, rows_removed::int AS r, objects_removed::int AS o FROM dwh_control.retention_runs WHERE n8n_execution_id = '8001' ORDER BY retention_run_id`,
	);
	expect(rows).toEqual([
		{ layer: 'raw', r: 5, o: 0 },
		{ layer: 'processed', r: 0, o: 0 },
	]);

	// Sweep on but no object store: the node says which slot to fill, before removing anything.
	const before = await count('dwh_control.retention_runs');
	await expect(
		executeNode({
			nodeType: new Anonymise(),
			parameters: { operation: 'applyRetention', sweepArchive: true },
			credentials: { dataAcuityPostgres: postgresCredential(etl.connection) },
		}),
	).rejects.toThrow('Sweep the CSV Archive is on but the Object Store credential is missing or invalid');
	expect(await count('dwh_control.retention_runs')).toBe(before);
	const [rawOnly] = await executeNode({
		nodeType: new Anonymise(),
		parameters: { operation: 'applyRetention', sweepArchive: false },
		credentials: { dataAcuityPostgres: postgresCredential(etl.connection) },
	});
	expect(rawOnly.map((i) => i.json.layer)).toEqual(['raw']);
	s3.client.destroy();
});

test('v_pipeline_alerts raises a failed retention run and an overdue raw retention, with counts and names only', async () => {
	const alerts = async () =>
		(
			await w.wh.query(
				`SELECT severity, alert, subject, detail FROM dwh_control.v_pipeline_alerts_by_severity WHERE area = 'retention' ORDER BY alert, subject`,
			)
		).rows;
	expect(await alerts()).toEqual([]);
	await w.wh.query(`INSERT INTO dwh_control.retention_runs (table_name, layer, retention_days, cutoff, status, message, started_at, finished_at)
		VALUES ('${TABLE}', 'processed', 30, now() - interval '30 days', 'failed', 'Object store at http://127.0.0.1:1 failed: ECONNREFUSED', now(), now())`);
	// A second append table, loaded 100 days ago, that no retention run has reached for two days.
	await registerTable(w.wh, 'tagme_db', incremental('append', 'poi_visits', 'created_at', '1 hour', { raw_retention_days: 90 }));
	await w.wh.query(`INSERT INTO dwh_control.extract_runs (table_name, status, mode, run_started_at, run_finished_at)
		VALUES ('tagme_db__poi_visits', 'loaded', 'incremental', now() - interval '100 days', now() - interval '100 days')`);
	expect(await alerts()).toEqual([
		{ severity: 'P2', alert: 'retention_failed', subject: `processed:${TABLE}`, detail: 'Object store at http://127.0.0.1:1 failed: ECONNREFUSED' },
		{ severity: 'P2', alert: 'retention_overdue', subject: 'raw:tagme_db__poi_visits', detail: 'retention 90 days; last finished raw retention run never' },
	]);
	// The next successful sweep of that folder clears the failure; a raw run of the table clears the overdue one.
	await w.wh.query(`INSERT INTO dwh_control.retention_runs (table_name, layer, retention_days, cutoff, status, started_at, finished_at)
		VALUES ('${TABLE}', 'processed', 30, now() - interval '30 days', 'completed', now() + interval '1 second', now() + interval '1 second'),
		       ('tagme_db__poi_visits', 'raw', 90, now() - interval '90 days', 'skipped', now(), now())`);
	expect(await alerts()).toEqual([]);
	// dwh_readonly (dashboards, the alerts workflow) reads it
	const seen = await asRole(w.wh, 'dwh_readonly', async (c) => (await c.query(`SELECT count(*)::int AS n FROM dwh_control.v_retention_alerts`)).rows[0].n);
	expect(seen).toBe(0);
});
