import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Anonymise } from '../../../nodes/Anonymise/Anonymise.node';
import { forgetUsers } from '../../../src/anonymise/forget';
import { hashValue } from '../../../src/anonymise/hashing';
import { scanResidue, type ResidueDeps, type ResidueFinding } from '../../../src/anonymise/residueScan';
import { anonymiseRelation } from '../../../src/anonymise/runner';
import { ObjectStore } from '../../../src/transport/objectStore';
import { freshBucket } from '../../harness/testEnv';
import { executeNode, objectStoreCredential, postgresCredential } from '../nodes/nodeHarness';
import { createAnonWorld, loadRaw, loadSyntheticPii, secretsCredential, type AnonWorld } from './world';
import { objectStoreEnv, runCli } from '../../harness/runCli';

/**
 * The residue verifier against real Postgres and S3: after Forget Users the only place left is the processed/ CSV
 * (forget does not rewrite the archive) plus the documented FICA hold; a person never forgotten is found in every
 * table and object they are in. Counts and places only: the searched values never appear in the report.
 */

let w: AnonWorld;
let store: ObjectStore;
let deps: ResidueDeps;
let users: Record<string, unknown>[];
const FORGOTTEN = 7;
const KEPT = 8;
const CSV_KEY = 'dataacuity/processed/auth_db__users/20261120T000000Z_1.csv';

const TRANSACTIONS = `id bigint PRIMARY KEY, account_id bigint NOT NULL, user_id bigint, direction text NOT NULL, amount_zar numeric(14,2) NOT NULL,
	category text, merchant_name text, reference text, channel text, created_at timestamptz NOT NULL`;

const csvQuote = (v: unknown) => (v === null || v === undefined ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
const places = (fs: ResidueFinding[]) => Object.fromEntries(fs.map((f) => [`${f.place} ${f.location}`, `${f.count} ${f.matched.join('+')}`]));

beforeAll(async () => {
	w = await createAnonWorld('anon_residue');
	({ users } = await loadSyntheticPii(w.wh, 20));
	const tx = [];
	for (let u = 1; u <= 20; u++) {
		tx.push({
			id: u * 10,
			account_id: 1000 + u,
			user_id: u,
			direction: 'debit',
			amount_zar: '10.00',
			category: 'groceries',
			merchant_name: 'Spar',
			reference: `to user ${u}`,
			channel: 'app',
			created_at: '2026-03-15T10:00:00Z',
		});
		tx.push({
			id: u * 10 + 1,
			account_id: 1000 + u,
			user_id: u,
			direction: 'debit',
			amount_zar: '20.00',
			category: 'groceries',
			merchant_name: 'Spar',
			reference: `to user ${u}`,
			channel: 'app',
			created_at: '2019-06-01T10:00:00Z',
		});
	}
	await loadRaw(w.wh, 'ledger_db', 'transactions', TRANSACTIONS, tx);
	for (const [db, t] of [
		['auth_db', 'users'],
		['tagme_db', 'check_ins'],
		['ledger_db', 'transactions'],
	]) {
		await anonymiseRelation(w.deps, { policy: w.policy(db), table: t, asOf: '2026-11-25' });
	}
	// The archive as the loader leaves it: the users extract moved to processed/, one record with a quoted newline.
	store = new ObjectStore(await freshBucket('anon-residue'));
	const cols = ['id', 'first_name', 'email', 'phone_e164', 'home_city'];
	const rows = [6, 7, 8].map((id) => users[id - 1]);
	const body =
		[cols.join(','), ...rows.map((u, i) => cols.map((c) => csvQuote(i === 0 && c === 'home_city' ? 'two\nlines' : u[c])).join(','))].join('\n') + '\n';
	await store.client.send(new PutObjectCommand({ Bucket: store.cfg.bucket, Key: CSV_KEY, Body: body }));
	// An extract not yet loaded, without either person (an id column that is not the subject must not match).
	await store.client.send(
		new PutObjectCommand({ Bucket: store.cfg.bucket, Key: 'dataacuity/exports/tagme_db__pois/20261121T000000Z_2.csv', Body: 'id,name\n7,Park\n8,Mall\n' }),
	);
	deps = { warehouse: w.wh, vault: w.vaultDb, store, secrets: w.secrets, policies: [...w.policies.values()] };
}, 120_000);

afterAll(async () => {
	store?.client.destroy();
	await w?.close();
});

const subject = (id: number) => ({
	userId: String(id),
	sourceDb: 'auth_db',
	email: String(users[id - 1].email).toUpperCase(),
	phone: String(users[id - 1].phone_e164),
});

test('a person never forgotten is found in every table and object they are in, by id, hash, e-mail and phone', async () => {
	const r = await scanResidue(deps, subject(KEPT));
	expect(places(r.residue)).toEqual({
		'warehouse raw.auth_db__users.id': '1 id',
		'warehouse raw.auth_db__users.email': '1 email',
		'warehouse raw.auth_db__users.phone_e164': '1 phone',
		'warehouse raw.auth_db__sessions.user_id': '2 id',
		'warehouse raw.auth_db__phone_pins.user_id': '1 id',
		'warehouse raw.tagme_db__check_ins.user_id': '2 id',
		'warehouse raw.tagme_db__check_ins.note': expect.stringMatching(/^1 email$/),
		'warehouse raw.messaging_db__messages.sender_id': expect.stringMatching(/^\d+ id$/),
		'warehouse raw.ledger_db__transactions.user_id': '2 id',
		'warehouse intermediate.int_auth_db__users.user_hash': '1 hash',
		'warehouse intermediate.int_tagme_db__check_ins.user_hash': '2 hash',
		'warehouse intermediate.int_ledger_db__transactions.user_hash': '2 hash',
		'vault compliance.token_subjects.subject_hmac': '1 subject_hmac',
		'vault compliance.token_vault': '1 token',
		[`object_store ${CSV_KEY}:5`]: '1 id+email+phone',
	});
	expect(r.holds).toEqual([]);
	expect(r.searched).toMatchObject({ objects: 2, objectStore: true, vault: true, analytics: false });
	expect(JSON.stringify(r)).not.toContain(hashValue(w.secrets.salts.users['1'], KEPT));
	expect(JSON.stringify(r).toLowerCase()).not.toContain(String(users[KEPT - 1].email));
});

test('after Forget Users only the processed/ CSV is left, and the FICA records are reported as a hold', async () => {
	const [o] = await forgetUsers(w.deps, { requests: [{ userId: String(FORGOTTEN) }], policies: [...w.policies.values()] });
	expect(o.status).toBe('completed');
	const r = await scanResidue(deps, subject(FORGOTTEN));
	// The quoted newline in the record before makes the person's record start on line 4, not 3.
	expect(places(r.residue)).toEqual({ [`object_store ${CSV_KEY}:4`]: '1 id+email+phone' });
	expect(r.holds.map((h) => [h.location, h.count, h.kind])).toEqual([
		['intermediate.int_ledger_db__transactions', 1, 'hold'],
		['raw.ledger_db__transactions', 1, 'hold'],
	]);
	expect(r.holds[0].note).toContain('FICA');
});

const cli = (args: string[], env: Record<string, string> = {}) =>
	runCli('residue-scan', args, { env, unset: ['DWH_WAREHOUSE_URL', 'DWH_ANONYMISATION_SECRETS', 'DWH_S3_BUCKET'], timeoutMs: 120_000 });

test('dwh:residue-scan: 1 with the places when residue is left, 0 when clean, 2 on bad usage; no value or secret printed', async () => {
	const c = w.whConn;
	const url = `postgres://${c.user}:${encodeURIComponent(c.password ?? '')}@${c.host}:${c.port}/${c.database}`;
	const vaultUrl = `postgres://${w.vaultConn.user}:${encodeURIComponent(w.vaultConn.password ?? '')}@${w.vaultConn.host}:${w.vaultConn.port}/${
		w.vaultConn.database
	}`;
	const env = { DWH_ANONYMISATION_SECRETS: JSON.stringify({ salts: w.secrets.salts, hmacKey: w.secrets.hmacKey }) };
	const s3env = objectStoreEnv(store.cfg);
	const email = String(users[FORGOTTEN - 1].email);
	const left = await cli(['--url', url, '--vault-url', vaultUrl, '--user-id', String(FORGOTTEN), '--source-db', 'auth_db', '--email', email], {
		...env,
		...s3env,
	});
	expect(left.code).toBe(1);
	expect(left.stdout).toContain(`RESIDUE object_store ${CSV_KEY}:4: 1 (id, email)`);
	expect(left.stdout).toContain('HOLD    warehouse raw.ledger_db__transactions: 1 kept unlinked — legal hold: FICA');
	expect(left.stdout).toContain('1 place(s) with residue, 2 legal hold(s); searched');
	expect(left.stdout + left.stderr).not.toContain(email);
	expect(left.stdout + left.stderr).not.toContain(w.secrets.hmacKey);

	const clean = await cli(['--url', url, '--user-id', String(FORGOTTEN), '--source-db', 'auth_db'], env);
	expect(clean.code).toBe(0);
	expect(clean.stdout).toContain('no residue, 2 legal hold(s); searched');
	expect(clean.stdout).toContain('no object store (not configured), vault not configured');

	const bad = await cli(['--url', url, '--user-id', '7', '--source-db', 'nope_db'], env);
	expect(bad.code).toBe(2);
	expect(bad.stderr).toContain('--source-db nope_db has no anonymisation policy; use one of: ');
	const noSecrets = await cli(['--url', url, '--user-id', '7', '--source-db', 'auth_db']);
	expect(noSecrets.code).toBe(2);
	expect(noSecrets.stderr).toContain('No salts: pass --secrets-file <json> or set DWH_ANONYMISATION_SECRETS');
}, 120_000);

describe("the Anonymise node's Verify Residue, as the compliance login", () => {
	const node = new Anonymise();
	const credentials = (hmacKey = w.secrets.hmacKey) => ({
		dataAcuityPostgres: postgresCredential(w.loginConn),
		dataAcuityObjectStore: objectStoreCredential(store.cfg),
		dataAcuityAnonymisationSecrets: secretsCredential(w, { hmacKey }),
	});
	const verify = (parameters: Record<string, unknown>, input?: { json: Record<string, unknown> }[], executionId = '9100') =>
		executeNode({
			nodeType: node,
			parameters: { operation: 'verifyResidue', searchAnalyticsDb: false, ...parameters },
			credentials: credentials(),
			input: input as never,
			executionId,
		});
	const forget = (userIds: string, executionId: string) =>
		executeNode({ nodeType: node, parameters: { operation: 'forgetUsers', userSource: 'ids', userIds }, credentials: credentials(), executionId });
	const alerts = async () =>
		(await w.wh.query(`SELECT severity, alert, subject, detail FROM dwh_control.v_pipeline_alerts_by_severity WHERE area = 'residue'`)).rows;

	test('Forget Users hands each person to Verify Residue as a sealed token: clean, recorded, the user id nowhere in the items', async () => {
		const [forgotten] = await forget('9', '9001');
		expect(forgotten.map((i) => i.json.status)).toEqual(['completed']);
		const token = String(forgotten[0].json.verificationToken);
		expect(token).toMatch(/^v1\./);
		// The empty item a night with nobody flagged outputs is skipped.
		const [items] = await verify({}, [...forgotten.map((i) => ({ json: i.json as Record<string, unknown> })), { json: {} }]);
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({ subjectHmac: forgotten[0].json.subjectHmac, clean: true, residuePlaces: 0, holdPlaces: 2 });
		const searched = items[0].json.searched as { objects: number; vault: boolean; unreadable: string[] };
		expect(searched).toMatchObject({ objects: 2, vault: true });
		// The compliance login reads every data schema and every stage's run log (0180): nothing is left unsearched.
		expect(searched.unreadable).toEqual([]);
		expect(JSON.stringify([forgotten, items])).not.toContain(hashValue(w.secrets.salts.users['1'], 9));
		const { rows } = await w.wh.query(
			`SELECT residue_places, holds, residue, n8n_execution_id, request_id IS NOT NULL AS has_request FROM dwh_control.residue_checks`,
		);
		expect(rows).toEqual([{ residue_places: 0, holds: 2, residue: [], n8n_execution_id: '9100', has_request: true }]);
		expect(await alerts()).toEqual([]);
	});

	test('a token sealed under another HMAC key is refused, naming the fix', async () => {
		const [forgotten] = await forget('10', '9002');
		await expect(
			executeNode({
				nodeType: node,
				parameters: { operation: 'verifyResidue', searchAnalyticsDb: false },
				credentials: credentials('another-hmac-key-0123456789abcdef0123456789'),
				input: [{ json: forgotten[0].json }] as never,
			}),
		).rejects.toThrow('verificationToken cannot be opened with this credential');
	});

	test('CSV residue the archive retention removes before the deadline is expected; past the deadline it is a P1 alert with counts only', async () => {
		const email = String(users[FORGOTTEN - 1].email);
		const [items] = await verify({ residueUsers: 'ids', residueUserId: String(FORGOTTEN), residueEmail: email }, [{ json: {} }], '9101');
		expect(items[0].json).toMatchObject({ clean: false, residuePlaces: 1 });
		const [finding] = items[0].json.residue as { location: string; expiresAt: string }[];
		expect(finding.location).toBe(`${CSV_KEY}:4`);
		expect(new Date(finding.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
		expect(await alerts()).toEqual([]);

		// The same check for a request made 10 days before the CSV was written: it outlives the deadline.
		await w.wh.query(
			`UPDATE dwh_control.rtbf_requests SET requested_at = now() - interval '10 days' WHERE request_id = (SELECT request_id FROM dwh_control.residue_checks WHERE n8n_execution_id = '9101')`,
		);
		const [left] = await alerts();
		expect(left).toMatchObject({ severity: 'P2', alert: 'residue_left', subject: expect.stringMatching(/^request \d+$/) });
		expect(left.detail).toMatch(/^1 place\(s\), 1 row\(s\)\/record\(s\): object_store 1; SLA deadline \d{4}-\d{2}-\d{2}$/);
		await w.wh.query(
			`UPDATE dwh_control.rtbf_requests SET requested_at = now() - interval '40 days' WHERE request_id = (SELECT request_id FROM dwh_control.residue_checks WHERE n8n_execution_id = '9101')`,
		);
		expect((await alerts()).map((a) => [a.severity, a.alert])).toEqual([['P1', 'residue_past_sla']]);
		expect(JSON.stringify(await alerts())).not.toContain(CSV_KEY);

		// A person never forgotten has no request: checking them raises nothing.
		await verify({ residueUsers: 'ids', residueUserId: String(KEPT) }, [{ json: {} }], '9102');
		expect((await alerts()).map((a) => a.alert)).toEqual(['residue_past_sla']);
		// Fail on Residue turns residue into a node error listing places, not values.
		await expect(verify({ residueUsers: 'ids', residueUserId: String(FORGOTTEN), failOnResidue: true }, [{ json: {} }])).rejects.toThrow(
			'Residue left in 1 place(s)',
		);
	});
});
