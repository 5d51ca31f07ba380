import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { migrateCompliance } from '../../src/anonymise/complianceMigrate';
import { subjectHmac } from '../../src/anonymise/hashing';
import { loadPolicies } from '../../src/anonymise/policyLoader';
import { scanResidue } from '../../src/anonymise/residueScan';
import { anonymiseRelation } from '../../src/anonymise/runner';
import { TokenVault } from '../../src/anonymise/vault';
import { objectStoreSchema, type ObjectStoreConfig } from '../../src/config/connection.schema';
import { startS3Server, type S3Server } from '../../src/devstack/s3Server';
import { ObjectStore } from '../../src/transport/objectStore';
import { registerTable } from '../harness/registerTable';
import { rekeyStandIns, requireDbt, seedWarehouseDirect } from '../integration/dbt/dbtFixtures';
import { nodeItems, runWorkflow } from './harness/instance';
import { anonymisationCredential, CREDENTIALS, pipelineSuite } from './harness/pipeline';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * Issue 12's "done when", in real n8n 1.123 (Node 20) and 2.41 (Node 24) with the shipped workflows:
 * - a user who is in every demo source (auth_db users, ledger_db transactions, tagme_db check-ins), in intermediate,
 *   Enrich's enr_* output, the marts, analytics_db, the token vault and the CSV archive is forgotten by the nightly
 *   sweep (dwh-rtbf-sweep-nightly), whose Verify Residue then finds only archived CSVs the archive retention removes
 *   before the 30-day deadline (no residue alert);
 * - the retention workflow (dwh-retention-daily) removes raw rows past their retention and CSVs past archive_days,
 *   and nothing newer, nothing outside the prefix;
 * - after it, the residue verifier (with the person's e-mail and phone too) finds no place left but the documented
 *   FICA legal hold.
 * The object store is an s3rver of this file's own: a server without lifecycle support, where the pack's sweep is
 * what expires the archive. An object "written 45 days ago" is one whose file the server dates 45 days back.
 */
const TIMEOUT = 10 * 60_000;
const FORGOTTEN = 7;
const DELETED_AT = '2026-11-20T08:30:00.000Z';
const SALT = randomBytes(16).toString('hex');
const DEVICE_SALT = randomBytes(16).toString('hex');
const HMAC_KEY = randomBytes(32).toString('hex');
const VAULT_KEY = randomBytes(32).toString('hex');
const SECRETS = { salts: { users: { '1': SALT }, devices: { '1': DEVICE_SALT } }, hmacKey: HMAC_KEY, vaultEncryptionKey: VAULT_KEY };
const DAY = 86_400_000;

describe.each(RUNTIME_KEYS)('erasure and retention on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'erasure-retention', 'e2e_erasure', {
		close: async () => {
			store?.client.destroy();
			await s3?.stop();
		},
	});
	let s3: S3Server;
	/** The person's user_hash under the credential's users salt (set once the warehouse exists). */
	let hash: string;
	let s3Dir: string;
	let store: ObjectStore;
	let cfg: ObjectStoreConfig;
	const EMAIL = `user${FORGOTTEN}@example.co.za`;
	const PHONE = `+2782${String(FORGOTTEN).padStart(7, '0')}`;
	/** The archive: [key, age in days, holds the person]. */
	const OLD_USERS_CSV = 'dataacuity/processed/auth_db__users/20261020_0200_SAST_11.csv';
	const OLD_CHECKINS_CSV = 'dataacuity/processed/tagme_db__check_ins/20261020_0200_SAST_12.csv';
	const FAILED_TX_CSV = 'dataacuity/exports/ledger_db__transactions/20261021_0200_SAST_13.csv';
	const NEW_CHECKINS_CSV = 'dataacuity/processed/tagme_db__check_ins/20261204_0200_SAST_40.csv';
	const OUTSIDE = 'elsewhere/processed/auth_db__users/old.csv';

	const count = async (sql: string, params: unknown[] = []) => (await w.p.wh.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
	const userHash = (id: number) =>
		w.p.wh.query<{ h: string }>(`SELECT encode(digest($1::text || ':' || $2::text, 'sha256'), 'hex') AS h`, [SALT, String(id)]).then((r) => r.rows[0].h);
	const csvOf = async (sql: string) => {
		const { rows, fields } = await w.p.wh.query(sql);
		const q = (v: unknown) =>
			v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v instanceof Date ? v.toISOString() : v);
		return [fields.map((f) => f.name).join(','), ...rows.map((r) => fields.map((f) => q(r[f.name])).join(','))].join('\n') + '\n';
	};
	/** Dates an object back on the server's disk, as if it had been written `days` ago. */
	const age = (key: string, days: number) => {
		const parts = key.split('/');
		const file = path.join(s3Dir, 's3rver-data', cfg.bucket, ...parts.slice(0, -1), `${parts[parts.length - 1]}._S3rver_object`);
		const t = new Date(Date.now() - days * DAY);
		utimesSync(file, t, t);
	};

	beforeAll(async () => {
		const dbtBin = requireDbt();
		s3Dir = mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-s3rver-'));
		s3 = await startS3Server({ baseDir: s3Dir, kind: 's3rver' });
		cfg = objectStoreSchema.parse({
			endpoint: s3.endpoint,
			region: s3.region,
			accessKeyId: s3.accessKeyId,
			secretAccessKey: s3.secretAccessKey,
			bucket: 'dwh-archive',
			prefix: 'dataacuity',
			forcePathStyle: true,
		});
		store = new ObjectStore(cfg);
		await store.client.send(new CreateBucketCommand({ Bucket: cfg.bucket }));

		// auth_db users and ledger_db transactions, with their intermediate stand-ins re-keyed to the credential's salt
		// (as in rtbfSweep.test.ts), so the marts dbt builds carry the person.
		await seedWarehouseDirect(w.p.wh, { ledger: 'ledger_db', auth: 'auth_db' });
		await w.p.wh.query(`ALTER TABLE raw.ledger_db__transactions ALTER COLUMN user_id DROP NOT NULL, ALTER COLUMN reference DROP NOT NULL`);
		await w.p.wh.query(`ALTER TABLE raw.auth_db__users ADD COLUMN deleted_at timestamptz`);
		await w.p.wh.query(`UPDATE raw.auth_db__users SET deleted_at = $1 WHERE id = $2`, [DELETED_AT, FORGOTTEN]);
		await rekeyStandIns(w.p.wh, SALT);

		// tagme_db check-ins, an append table with the registry's 90 days: users 1-6 loaded 100 days ago (run 1),
		// users 7-12 ten days ago (run 2); the person's note quotes their e-mail. Anonymised for real, and Enrich's
		// output stood in by a copy.
		await w.p.wh.query(`CREATE TABLE raw.tagme_db__check_ins (id bigint PRIMARY KEY, user_id bigint NOT NULL, poi_id bigint NOT NULL, lat numeric(9,6) NOT NULL,
			lng numeric(9,6) NOT NULL, accuracy_m integer, device_id text, note text, created_at timestamptz NOT NULL, _dwh_run_id bigint NOT NULL, _dwh_loaded_at timestamptz NOT NULL)`);
		await w.p.wh.query(
			`INSERT INTO raw.tagme_db__check_ins
			SELECT u * 10 + k, u, 1, -26.2041, 28.0473, 5, 'dev-' || u, CASE WHEN u = $1 THEN 'meet me: ' || $2 END, now() - interval '120 days',
			       CASE WHEN u <= 6 THEN 1 ELSE 2 END, now() - CASE WHEN u <= 6 THEN interval '100 days' ELSE interval '10 days' END
			  FROM generate_series(1, 12) u, generate_series(1, 3) k`,
			[FORGOTTEN, EMAIL],
		);
		await registerTable(w.p.wh, 'tagme_db', {
			source_table: 'check_ins',
			mode: 'incremental',
			load_strategy: 'append',
			watermark_column: 'created_at',
			key_columns: ['id'],
			cadence: '1 hour',
			raw_retention_days: 90,
		});
		// The token vault in the warehouse database (its own database in production), holding the person's e-mail.
		await migrateCompliance(w.p.wh);
		const vault = new TokenVault(w.p.wh, { hmacKey: HMAC_KEY, encryptionKey: VAULT_KEY });
		await anonymiseRelation(
			{ warehouse: w.p.wh, secrets: SECRETS, vault },
			{ policy: loadPolicies().get('tagme_db')!, table: 'check_ins', asOf: '2026-12-01' },
		);
		await w.p.wh.query(
			`CREATE TABLE intermediate.enr_tagme_db__check_ins AS SELECT check_in_id, user_hash, lat_grid, lng_grid, 'Johannesburg'::text AS city, created_at FROM intermediate.int_tagme_db__check_ins`,
		);
		await vault.tokenise('email', [
			{ value: EMAIL, subject: subjectHmac(HMAC_KEY, String(FORGOTTEN)) },
			{ value: 'user8@example.co.za', subject: subjectHmac(HMAC_KEY, '8') },
		]);
		// analytics_db: an earlier push left the person in a per-user target.
		const an = new pg.Pool({ ...w.p.analytics, max: 1 });
		await an.query(`CREATE SCHEMA tagme; CREATE TABLE tagme.user_summary (user_hash text PRIMARY KEY, checkins_30d integer)`);
		hash = await userHash(FORGOTTEN);
		await an.query(`INSERT INTO tagme.user_summary VALUES ($1, 3), ($2, 5)`, [hash, await userHash(1)]);
		await an.end();

		// The CSV archive as extract and load leave it, the old ones dated back.
		const put = (key: string, body: string) => store.client.send(new PutObjectCommand({ Bucket: cfg.bucket, Key: key, Body: body }));
		await put(OLD_USERS_CSV, await csvOf(`SELECT id, first_name, email, phone_e164, home_city FROM raw.auth_db__users ORDER BY id`));
		await put(OLD_CHECKINS_CSV, await csvOf(`SELECT id, user_id, poi_id, device_id, note, created_at FROM raw.tagme_db__check_ins ORDER BY id`));
		await put(FAILED_TX_CSV, await csvOf(`SELECT id, account_id, user_id, amount_zar, reference FROM raw.ledger_db__transactions ORDER BY id`));
		await put(
			NEW_CHECKINS_CSV,
			await csvOf(`SELECT id, user_id, poi_id, device_id, note, created_at FROM raw.tagme_db__check_ins WHERE user_id <= 6 ORDER BY id`),
		);
		await put(OUTSIDE, 'id,home_city\n1,Johannesburg\n');
		for (const key of [OLD_USERS_CSV, OLD_CHECKINS_CSV, OUTSIDE]) age(key, 45);
		age(FAILED_TX_CSV, 44);

		const creds = [
			{
				id: CREDENTIALS.dbt.id,
				name: CREDENTIALS.dbt.name,
				type: CREDENTIALS.dbt.type,
				data: { dbtBin, artifactsDir: mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-dbt-runs-')), connectionSource: 'credential' },
			},
			anonymisationCredential(w.p.warehouse, SECRETS),
			{
				...CREDENTIALS.store,
				data: {
					endpoint: cfg.endpoint,
					region: cfg.region,
					accessKeyId: cfg.accessKeyId,
					secretAccessKey: cfg.secretAccessKey,
					bucket: cfg.bucket,
					prefix: cfg.prefix,
					forcePathStyle: true,
					checksumMode: 'when_required',
				},
			},
		];
		await w.importShipped(['dwh-rtbf-sweep-nightly.json', 'dwh-retention-daily.json'], creds);
	}, TIMEOUT);

	test(
		'the nightly sweep forgets a user found in every demo source, then Verify Residue finds only archived CSVs that expire before the deadline',
		async () => {
			expect(await count(`intermediate.enr_tagme_db__check_ins WHERE user_hash = $1`, [hash])).toBe(3);
			const run = await runWorkflow(w.inst, 'dwhRtbfSweep001', { timeoutMs: 8 * 60_000 });

			const subject = subjectHmac(HMAC_KEY, String(FORGOTTEN));
			const [forgotten] = nodeItems(run, 'Forget flagged users');
			expect([forgotten.subjectHmac, forgotten.status]).toEqual([subject, 'completed']);
			expect(JSON.stringify(nodeItems(run, 'Forget flagged users'))).not.toContain(EMAIL);
			const actions = forgotten.actions as Array<{ relation: string; action: string; rows: number }>;
			expect(actions).toEqual(
				expect.arrayContaining([
					{ relation: 'raw.auth_db__users', action: 'deleted', rows: 1 },
					{ relation: 'raw.tagme_db__check_ins', action: 'deleted', rows: 3 },
					{ relation: 'raw.ledger_db__transactions', action: 'held_unlinked', rows: 10, note: expect.stringContaining('legal hold: FICA') },
					{ relation: 'intermediate.int_tagme_db__check_ins', action: 'deleted', rows: 3 },
					{ relation: 'intermediate.enr_tagme_db__check_ins', action: 'deleted', rows: 3 },
					{ relation: 'analytics_db.tagme.user_summary', action: 'deleted', rows: 1 },
					{ relation: 'compliance.token_vault', action: 'vault_purged', rows: 1 },
				]),
			);

			// Verify Residue ran after the rebuild and the mirror, for the one person forgotten.
			const ran = Object.keys(run.data.resultData.runData);
			expect(ran.indexOf('Verify residue')).toBeGreaterThan(ran.indexOf('Mirror user lifecycle'));
			const verified = nodeItems(run, 'Verify residue');
			expect(verified).toHaveLength(1);
			expect(verified[0]).toMatchObject({ subjectHmac: subject, clean: false, holdPlaces: 2 });
			const residue = verified[0].residue as Array<{ place: string; location: string; matched: string[]; expiresAt: string }>;
			// Only the archive, each CSV expiring (written + 30 days) before the request's deadline (deleted_at + 30 days).
			// One finding per CSV record: the user, their 3 check-ins, their 10 payments in the failed run's CSV.
			const perObject = residue.reduce<Record<string, number>>((m, f) => ({ ...m, [f.location.split(':')[0]]: (m[f.location.split(':')[0]] ?? 0) + 1 }), {});
			expect(perObject).toEqual({ [OLD_USERS_CSV]: 1, [OLD_CHECKINS_CSV]: 3, [FAILED_TX_CSV]: 10 });
			const deadline = new Date(DELETED_AT).getTime() + 30 * DAY;
			for (const f of residue) expect([f.place, new Date(f.expiresAt).getTime() < deadline]).toEqual(['object_store', true]);
			expect(verified[0].searched).toMatchObject({ objects: 4, objectStore: true, vault: true, analytics: true });
			expect(JSON.stringify(verified)).not.toContain(hash);
			expect(await count(`dwh_control.v_pipeline_alerts WHERE area = 'residue'`)).toBe(0);
			expect(await count(`dwh_control.residue_checks WHERE subject_hmac = $1 AND n8n_execution_id IS NOT NULL`, [subject])).toBe(1);
		},
		TIMEOUT,
	);

	test(
		'the retention workflow removes raw rows past 90 days and CSVs past 30, and nothing newer or outside the prefix',
		async () => {
			const published = await count(`intermediate.int_tagme_db__check_ins`);
			const run = await runWorkflow(w.inst, 'dwhRetentionDay1', { timeoutMs: 5 * 60_000 });
			const items = nodeItems(run, 'Apply retention').map((i) => [i.layer, i.table, i.status, i.rowsRemoved, i.objectsRemoved, i.objectsKept]);
			expect(items).toEqual([
				['raw', 'tagme_db__check_ins', 'completed', 18, 0, 0],
				['exports', 'ledger_db__transactions', 'completed', 0, 1, 0],
				['processed', 'auth_db__users', 'completed', 0, 1, 0],
				['processed', 'tagme_db__check_ins', 'completed', 0, 1, 1],
			]);
			// Users 8-12's check-ins, loaded ten days ago, stay in raw; intermediate keeps the anonymised history of all.
			expect(await count(`raw.tagme_db__check_ins`)).toBe(15);
			expect(await count(`raw.tagme_db__check_ins WHERE user_id <= 6`)).toBe(0);
			expect(await count(`intermediate.int_tagme_db__check_ins`)).toBe(published);
			expect((await store.list('')).sort()).toEqual([NEW_CHECKINS_CSV, OUTSIDE].sort());
			const { rows } = await w.p.wh.query(
				`SELECT layer, table_name, rows_removed::int AS r, objects_removed::int AS o, n8n_execution_id IS NOT NULL AS exec FROM dwh_control.retention_runs ORDER BY retention_run_id`,
			);
			expect(rows).toEqual([
				{ layer: 'raw', table_name: 'tagme_db__check_ins', r: 18, o: 0, exec: true },
				{ layer: 'exports', table_name: 'ledger_db__transactions', r: 0, o: 1, exec: true },
				{ layer: 'processed', table_name: 'auth_db__users', r: 0, o: 1, exec: true },
				{ layer: 'processed', table_name: 'tagme_db__check_ins', r: 0, o: 1, exec: true },
			]);
			expect(await count(`dwh_control.v_pipeline_alerts WHERE area = 'retention'`)).toBe(0);
		},
		TIMEOUT,
	);

	test(
		'then the residue verifier, given the id, e-mail and phone, finds no place left but the FICA legal hold',
		async () => {
			const analytics = new pg.Pool({ ...w.p.analytics, max: 1 });
			try {
				const report = await scanResidue(
					{ warehouse: w.p.wh, analytics, vault: w.p.wh, store, secrets: SECRETS, policies: [...loadPolicies().values()] },
					{ userId: String(FORGOTTEN), sourceDb: 'auth_db', email: EMAIL, phone: PHONE },
				);
				expect(report.residue).toEqual([]);
				expect(report.holds.map((h) => [h.location, h.count, h.note?.includes('FICA')])).toEqual([
					['intermediate.int_ledger_db__transactions', 10, true],
					['raw.ledger_db__transactions', 10, true],
				]);
				expect(report.searched).toMatchObject({ objects: 1, objectStore: true, vault: true, analytics: true, unreadable: [] });
			} finally {
				await analytics.end();
			}
		},
		TIMEOUT,
	);
});
