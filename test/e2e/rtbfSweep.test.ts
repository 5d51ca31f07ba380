import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrateCompliance } from '../../src/anonymise/complianceMigrate';
import { subjectHmac } from '../../src/anonymise/hashing';
import { enrichMartInputs } from '../../src/enrich/martInputs';
import { rekeyStandIns, requireDbt, seedWarehouseDirect } from '../integration/dbt/dbtFixtures';
import { nodeItems, runWorkflow } from './harness/instance';
import { anonymisationCredential, CREDENTIALS, pipelineSuite } from './harness/pipeline';
import { RUNTIME_KEYS, type N8nRuntime } from './harness/runtimes';

/**
 * The shipped nightly right-to-be-forgotten sweep (workflows/dwh-rtbf-sweep-nightly.json) headless in real n8n 1.123
 * (Node 20) and 2.41 (Node 24): a user flagged deleted in raw.auth_db__users is forgotten by the Anonymise node (raw,
 * intermediate, every analytics_db table carrying their hash, and the audit) before the marts are full-refreshed by the
 * real dbt CLI and mirrored; a second night with nobody newly flagged forgets no one and still rebuilds.
 */
const TIMEOUT = 10 * 60_000;
const WORKFLOW_ID = 'dwhRtbfSweep001';
const FORGOTTEN = 7;
/** Flagged too: two people forgotten in one night still mean one rebuild and one mirror. */
const ALSO_FORGOTTEN = 8;
const DELETED_AT = '2026-11-20T08:30:00.000Z';
// Test values only, generated per run: they exist nowhere but in the credential imported below.
const SALT = randomBytes(16).toString('hex');
const HMAC_KEY = randomBytes(32).toString('hex');

describe.each(RUNTIME_KEYS)('the nightly RTBF sweep on %s', (key: N8nRuntime['key']) => {
	const w = pipelineSuite(key, 'rtbf-sweep', 'e2e_rtbf');

	const count = async (sql: string, params: unknown[] = []) => (await w.p.wh.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0].n;
	const userHash = (id: number) =>
		w.p.wh.query<{ h: string }>(`SELECT encode(digest($1::text || ':' || $2::text, 'sha256'), 'hex') AS h`, [SALT, String(id)]).then((r) => r.rows[0].h);

	beforeAll(async () => {
		const dbtBin = requireDbt();
		await seedWarehouseDirect(w.p.wh, { ledger: 'ledger_db', auth: 'auth_db' });
		// Bronze as the loader makes it: only the key is NOT NULL (the FICA hold keeps the person's rows with user_id NULL).
		await w.p.wh.query(`ALTER TABLE raw.ledger_db__transactions ALTER COLUMN user_id DROP NOT NULL, ALTER COLUMN reference DROP NOT NULL`);
		// The AuthAPI soft-delete (§6.8) as the extract brings it into bronze.
		await w.p.wh.query(`ALTER TABLE raw.auth_db__users ADD COLUMN deleted_at timestamptz`);
		await w.p.wh.query(`UPDATE raw.auth_db__users SET deleted_at = $1 WHERE id = ANY($2::bigint[])`, [DELETED_AT, [FORGOTTEN, ALSO_FORGOTTEN]]);
		// The fixture hashes with its own salt; re-key the intermediate stand-ins to the credential's "users" salt so
		// Forget Users can find the person's hashed rows the way it does after a real Anonymise run.
		await rekeyStandIns(w.p.wh, SALT, { kycRecords: true });
		// Enrich again over the re-keyed rows, as the chain does after Anonymise: the marts read intermediate.enr_*.
		await enrichMartInputs(w.p.wh);
		// The token vault lives in the warehouse database here (its own database in production).
		await migrateCompliance(w.p.wh);
		// An earlier push left the person in a per-user target (tagme.user_summary is not re-pushed by the sweep).
		const an = new pg.Pool({ ...w.p.analytics, max: 1 });
		await an.query(`CREATE SCHEMA tagme; CREATE TABLE tagme.user_summary (user_hash text PRIMARY KEY, checkins_30d integer)`);
		await an.query(`INSERT INTO tagme.user_summary VALUES ($1, 3), ($2, 5)`, [await userHash(FORGOTTEN), await userHash(1)]);
		await an.end();

		const creds = [
			{
				id: CREDENTIALS.dbt.id,
				name: CREDENTIALS.dbt.name,
				type: CREDENTIALS.dbt.type,
				data: { dbtBin, artifactsDir: mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-dbt-runs-')), connectionSource: 'credential' },
			},
			anonymisationCredential(w.p.warehouse, { salts: { users: { '1': SALT } }, hmacKey: HMAC_KEY, vaultEncryptionKey: randomBytes(32).toString('hex') }),
		];
		// Same ids as the harness's copies, so these replace them and name-based resolution finds these.
		await w.importShipped(['dwh-rtbf-sweep-nightly.json'], creds);
	}, TIMEOUT);

	test(
		'a user flagged deleted is forgotten from raw and intermediate with an audit row, then the marts are rebuilt without them and mirrored',
		async () => {
			const hash = await userHash(FORGOTTEN);
			expect(await count(`intermediate.int_auth_db__users WHERE user_hash = $1`, [hash])).toBe(1);
			const txOfUser = await count(`raw.ledger_db__transactions WHERE user_id = $1`, [FORGOTTEN]);
			expect(txOfUser).toBe(10);

			const run = await runWorkflow(w.inst, WORKFLOW_ID, { timeoutMs: 8 * 60_000 });

			const subject = subjectHmac(HMAC_KEY, String(FORGOTTEN));
			const forgotten = nodeItems(run, 'Forget flagged users');
			expect(forgotten.map((o) => [o.subjectHmac, o.status]).sort()).toEqual(
				[
					[subject, 'completed'],
					[subjectHmac(HMAC_KEY, String(ALSO_FORGOTTEN)), 'completed'],
				].sort(),
			);
			const actions = forgotten.find((o) => o.subjectHmac === subject)!.actions as Array<{ relation: string; action: string; rows: number }>;
			// The ledger's transactions are a FICA legal hold (policies/ledger_db.policy.json): kept, with the person unlinked.
			const hold = expect.stringContaining('legal hold: FICA');
			expect(actions).toEqual(
				expect.arrayContaining([
					{ relation: 'raw.auth_db__users', action: 'deleted', rows: 1 },
					{ relation: 'raw.ledger_db__transactions', action: 'held_unlinked', rows: txOfUser, note: hold },
					{ relation: 'raw.ledger_db__transactions', action: 'deleted', rows: 0 },
					{ relation: 'intermediate.int_auth_db__users', action: 'deleted', rows: 1 },
					{ relation: 'intermediate.int_ledger_db__transactions', action: 'held_unlinked', rows: txOfUser, note: hold },
					{ relation: 'intermediate.int_ledger_db__transactions', action: 'deleted', rows: 0 },
					{ relation: 'analytics_db.tagme.user_summary', action: 'deleted', rows: 1 },
				]),
			);
			const an = new pg.Pool({ ...w.p.analytics, max: 1 });
			expect((await an.query(`SELECT count(*)::int AS n FROM tagme.user_summary`)).rows[0].n).toBe(1);
			await an.end();

			// Gone from raw and intermediate (the held transactions stay, belonging to no one); everyone else untouched.
			expect(await count(`raw.auth_db__users WHERE id = $1`, [FORGOTTEN])).toBe(0);
			expect(await count(`raw.ledger_db__transactions WHERE user_id = $1`, [FORGOTTEN])).toBe(0);
			expect(await count(`raw.auth_db__users`)).toBe(61);
			expect(await count(`raw.ledger_db__transactions`)).toBe(600);
			expect(await count(`raw.ledger_db__transactions WHERE user_id IS NULL`)).toBe(2 * txOfUser);
			expect(await count(`intermediate.int_ledger_db__transactions WHERE user_hash IS NULL`)).toBe(2 * txOfUser);
			expect(await count(`intermediate.int_auth_db__users WHERE user_hash = $1`, [hash])).toBe(0);

			// The audit for the 30-day SLA: one completed request from the source's deleted_at, no user id anywhere.
			const audit = await w.p.wh.query(
				`SELECT status, requested_at, completed_at IS NOT NULL AS completed, error_message, n8n_execution_id IS NOT NULL AS has_execution
			   FROM dwh_control.rtbf_requests WHERE subject_hmac = $1`,
				[subject],
			);
			expect(audit.rows).toEqual([{ status: 'completed', requested_at: new Date(DELETED_AT), completed: true, error_message: null, has_execution: true }]);
			expect(await count(`dwh_control.rtbf_subjects WHERE subject_hmac = $1`, [subject])).toBe(1);
			const sla = await w.p.wh.query(`SELECT sla_breached, rows_removed::int AS rows FROM dwh_control.rtbf_sla WHERE subject_hmac = $1`, [subject]);
			// raw + intermediate user, the pushed summary, the held ledger rows in raw and intermediate; Enrich's copies:
			// enr_ledger_transactions, enr_app_events (the transactions and the sign-up) and enr_users.
			expect(sla.rows).toEqual([{ sla_breached: false, rows: 3 + 2 * txOfUser + txOfUser + (txOfUser + 1) + 1 }]);

			// Then, and only once, the full-refresh rebuild of the marts: the person has left the user dimension.
			const dbt = nodeItems(run, 'Rebuild user marts');
			expect(dbt.filter((i) => i.kind === 'summary')).toEqual([expect.objectContaining({ command: 'build', status: 'success', exitCode: 0 })]);
			expect(dbt.filter((i) => ['error', 'fail', 'skipped', 'runtime error'].includes(String(i.status)))).toEqual([]);
			expect(await count(`marts.dim_user_360_anon WHERE user_hash = $1`, [hash])).toBe(0);
			// The held records stay in intermediate only: the per-user marts leave unlinked transactions out.
			expect(await count(`marts.fct_ledger_transactions_anon`)).toBe(600 - 2 * txOfUser);
			const mirrored = nodeItems(run, 'Mirror user lifecycle');
			expect(mirrored).toHaveLength(1);
			expect(JSON.stringify(mirrored[0])).toContain('shared.user_lifecycle');
		},
		TIMEOUT,
	);

	test(
		'the next night, with nobody newly flagged, forgets no one and still rebuilds and mirrors once',
		async () => {
			const requests = await count(`dwh_control.rtbf_requests`);
			const run = await runWorkflow(w.inst, WORKFLOW_ID, { timeoutMs: 8 * 60_000 });
			// alwaysOutputData: an empty item, so the rebuild still runs.
			expect(nodeItems(run, 'Forget flagged users')).toEqual([{}]);
			expect(await count(`dwh_control.rtbf_requests`)).toBe(requests);
			expect(nodeItems(run, 'Rebuild user marts').filter((i) => i.kind === 'summary')).toEqual([expect.objectContaining({ status: 'success' })]);
			expect(nodeItems(run, 'Mirror user lifecycle')).toHaveLength(1);
		},
		TIMEOUT,
	);
});
