import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NodeOperationError, type IDataObject } from 'n8n-workflow';
import { Anonymise } from '../../../nodes/Anonymise/Anonymise.node';
import { anonymisationSecretsTest } from '../../../nodes/Anonymise/secretsCredential';
import { hashValue } from '../../../src/anonymise/hashing';
import { executeNode, postgresCredential } from '../nodes/nodeHarness';
import { createAnonWorld, loadSyntheticPii, secretsCredential as worldSecretsCredential, TEST_SECRETS, type AnonWorld, type SyntheticSet } from './world';

let w: AnonWorld;
let data: SyntheticSet;
const node = new Anonymise();
const ROTATED = { ...TEST_SECRETS.salts, users: { ...TEST_SECRETS.salts.users, '2': 'test-only-users-salt-v2-node-rotation' } };

const secretsCredential = (over: Record<string, string | number> = {}) => worldSecretsCredential(w, over);
const credentials = (over: Record<string, string | number> = {}) => ({
	dataAcuityPostgres: postgresCredential(w.loginConn),
	dataAcuityAnonymisationSecrets: secretsCredential(over),
});

beforeAll(async () => {
	w = await createAnonWorld('anon_node');
	data = await loadSyntheticPii(w.wh, 25);
});
afterAll(async () => w?.close());

test('Anonymise Relation, every table of a policy: one item per published table, execution id recorded', async () => {
	const [items] = await executeNode({
		nodeType: node,
		parameters: { operation: 'anonymiseRelation', sourceDb: 'auth_db', tableSelection: 'all' },
		credentials: credentials(),
		executionId: '7001',
	});
	expect(items.map((i) => i.json.outputRelation).sort()).toEqual([
		'intermediate.int_auth_db__kyc_records',
		'intermediate.int_auth_db__phone_pins',
		'intermediate.int_auth_db__sessions',
		'intermediate.int_auth_db__users',
	]);
	expect(items[0].json).toMatchObject({
		sourceDb: 'auth_db',
		policyVersion: w.policy('auth_db').policy.version,
		saltVersions: expect.objectContaining({ users: 1 }),
	});
	const { rows } = await w.wh.query(`SELECT DISTINCT n8n_execution_id FROM dwh_control.anonymise_runs`);
	expect(rows).toEqual([{ n8n_execution_id: '7001' }]);
});

test('Anonymise Items turns input items into anonymised items paired with their inputs', async () => {
	const input = data.users.slice(0, 3).map((u) => ({ json: { ...u } as IDataObject }));
	const [items] = await executeNode({
		nodeType: node,
		parameters: { operation: 'anonymiseItems', sourceDb: 'auth_db', table: 'users', options: { asOf: '2026-11-25' } },
		credentials: credentials(),
		input,
		executionId: '7002',
	});
	expect(items).toHaveLength(3);
	// The audit trail covers item mode too: policy, salts, counts and execution, never the rows.
	const { rows: runs } = await w.wh.query(
		`SELECT source_db, source_table, input_relation, mode, status, policy_version, salt_versions, as_of_date::text AS as_of, rows_in::int, rows_out::int, tokens_issued::int, error_message
		   FROM dwh_control.anonymise_runs WHERE n8n_execution_id = '7002'`,
	);
	expect(runs).toEqual([
		{
			source_db: 'auth_db',
			source_table: 'users',
			input_relation: 'n8n items',
			mode: 'items',
			status: 'published',
			policy_version: w.policy('auth_db').policy.version,
			salt_versions: expect.objectContaining({ users: 1 }),
			as_of: '2026-11-25',
			rows_in: 3,
			rows_out: 3,
			tokens_issued: expect.any(Number),
			error_message: null,
		},
	]);
	expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
	expect(items[0].json.user_hash).toBe(hashValue(TEST_SECRETS.salts.users['1'], data.users[0].id));
	expect(items[0].json).not.toHaveProperty('email');
	expect(items[0].json).not.toHaveProperty('first_name');
	expect(String(items[0].json.sa_id_token)).toMatch(/^\d+$/);
});

describe('Anonymise Items runs the PII gate on what it outputs', () => {
	// Issue 12: a kept field holding a phone number or a street address must not go out of item mode.
	const planted = () =>
		data.users
			.slice(0, 3)
			.map((u, i) => ({ json: { ...u, home_city: ['Johannesburg', 'Soweto 082 765 4321', '12 Vilakazi Street, Orlando West'][i] } as IDataObject }));
	const params = { operation: 'anonymiseItems', sourceDb: 'auth_db', table: 'users', options: { asOf: '2026-11-25' } };
	const runOf = async (executionId: string) =>
		(
			await w.wh.query(`SELECT status, rows_in::int, rows_out::int, error_message, pii_findings FROM dwh_control.anonymise_runs WHERE n8n_execution_id = $1`, [
				executionId,
			])
		).rows;

	test('a finding fails the batch naming field, detector and item, never the value; nothing is output', async () => {
		const err = await executeNode({ nodeType: node, parameters: params, credentials: credentials(), input: planted(), executionId: '7010' }).then(
			() => null,
			(e: unknown) => e as NodeOperationError,
		);
		expect(err).toBeInstanceOf(NodeOperationError);
		expect(err!.message).toBe(
			'PII check blocked Anonymise Items for auth_db.users: field home_city: phone_za in 1 of 3 items (item 1); field home_city: street_address in 1 of 3 items (item 2). Nothing was output.',
		);
		expect(err!.description).toContain('pii_check.allow_columns');
		const [run] = await runOf('7010');
		expect(run).toMatchObject({ status: 'blocked', rows_in: 3, rows_out: 0 });
		// The run log keeps the error the node shows (fields, detectors, items; no value), through safeErrorText.
		expect(run.error_message).toBe(err!.message);
		expect(run.pii_findings).toEqual(
			expect.arrayContaining([
				expect.objectContaining({ column: 'home_city', detector: 'phone_za', kind: 'content', sampleCount: 1, rowsSampled: 3, rowsTotal: 3, items: [1] }),
			]),
		);
		expect(JSON.stringify(run)).not.toMatch(/082|765|Vilakazi|Orlando/);
	});

	test('with Continue On Fail the clean item goes out and each leaky item becomes an error item', async () => {
		const [items] = await executeNode({
			nodeType: node,
			parameters: params,
			credentials: credentials(),
			input: planted(),
			executionId: '7011',
			continueOnFail: true,
		});
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(items[0].json).toMatchObject({ home_city: 'Johannesburg', user_hash: hashValue(TEST_SECRETS.salts.users['1'], data.users[0].id) });
		expect(items[1].json.error).toBe(
			'PII check blocked Anonymise Items for auth_db.users (item 1): field home_city: phone_za in 1 of 3 items (item 1). This item was not output.',
		);
		expect(items[2].json.error).toBe(
			'PII check blocked Anonymise Items for auth_db.users (item 2): field home_city: street_address in 1 of 3 items (item 2). This item was not output.',
		);
		expect(JSON.stringify(items.slice(1))).not.toMatch(/082|Vilakazi/);
		const [run] = await runOf('7011');
		expect(run).toMatchObject({ status: 'published', rows_in: 3, rows_out: 1 });
	});
});

test('Anonymise Items with Continue On Fail: a failed batch is one error item per input item, with the fix', async () => {
	const input = data.users.slice(0, 2).map((u) => ({ json: { ...u } as IDataObject }));
	const parameters = { operation: 'anonymiseItems', sourceDb: 'auth_db', table: 'no_such_table' };
	const [items] = await executeNode({ nodeType: node, parameters, credentials: credentials(), input, continueOnFail: true });
	expect(items).toEqual(
		[0, 1].map((item) => ({
			json: {
				error: expect.stringContaining('table no_such_table is not in the policy'),
				description: 'Fix the named field in the policy file; nothing was run.',
			},
			pairedItem: { item },
		})),
	);
	// No row value of the input reaches the error items.
	expect(JSON.stringify(items)).not.toContain(String(data.users[0].email));
});

test('PII Check passes on intermediate and fails on raw, naming columns and detectors only', async () => {
	const [ok] = await executeNode({
		nodeType: node,
		parameters: { operation: 'piiCheck', relation: 'intermediate.int_auth_db__users' },
		credentials: credentials(),
	});
	expect(ok[0].json).toEqual({ relation: 'intermediate.int_auth_db__users', passed: true, findings: [] });
	const err = await executeNode({ nodeType: node, parameters: { operation: 'piiCheck', relation: 'raw.auth_db__users' }, credentials: credentials() }).catch(
		(e) => e,
	);
	expect(err).toBeInstanceOf(NodeOperationError);
	expect(err.message).toBe('PII found in raw.auth_db__users');
	expect(err.description).toContain('raw.auth_db__users.email: email in 25 sampled values');
	expect(err.description).not.toContain('@example.co.za');
});

test('k-Anonymity Report over intermediate', async () => {
	const [items] = await executeNode({
		nodeType: node,
		parameters: { operation: 'kAnonymityReport', relation: 'intermediate.int_auth_db__users', quasiIdentifiers: 'home_city', k: 2 },
		credentials: credentials(),
	});
	expect(items[0].json).toMatchObject({ relation: 'intermediate.int_auth_db__users', k: 2, totalRows: 25 });
});

test('Forget Users by id, and Rotate Salt', async () => {
	const [forgot] = await executeNode({
		nodeType: node,
		parameters: { operation: 'forgetUsers', userSource: 'ids', userIds: '={{ $json.id }}' },
		credentials: credentials(),
		input: [{ json: { id: 4 } }],
	});
	expect(forgot[0].json).toMatchObject({ status: 'completed' });
	const { rows } = await w.wh.query('SELECT count(*)::int AS n FROM raw.auth_db__users WHERE id = 4');
	expect(rows[0].n).toBe(0);

	const [rot] = await executeNode({
		nodeType: node,
		parameters: { operation: 'rotateSalt', saltType: 'users' },
		credentials: credentials({ salts: JSON.stringify(ROTATED) }),
	});
	expect(rot[0].json).toMatchObject({ saltType: 'users', fromVersion: 1, toVersion: 2 });
});

test('a broken secrets credential names the field and never echoes the salt', async () => {
	const err = await executeNode({
		nodeType: node,
		parameters: { operation: 'anonymiseRelation', sourceDb: 'auth_db', table: 'users' },
		credentials: credentials({ salts: '{"users": {"1": "leaky-salt-value-123456"' }),
	}).catch((e) => e);
	expect(err.message).toBe(
		'The DataAcuity Anonymisation Secrets credential is incomplete or invalid — Salts: Salts is not valid JSON (expected {"users": {"1": "<salt>"}})',
	);
	expect(JSON.stringify(err)).not.toContain('leaky-salt-value');
	const test = await anonymisationSecretsTest({ id: 'x', name: 'x', type: 'dataAcuityAnonymisationSecrets', data: secretsCredential() });
	expect(test.status).toBe('OK');
	expect(test.message).toContain('is reachable and migrated');
});

test('a Source Database that is a path is refused naming the parameter; no file outside the policies folder is read', async () => {
	// A valid policy one level above the folder: exactly what `../x` would have loaded.
	const root = mkdtempSync(path.join(os.tmpdir(), 'policy-escape-'));
	mkdirSync(path.join(root, 'policies'));
	writeFileSync(path.join(root, 'x.policy.json'), readFileSync(w.policy('auth_db').file!, 'utf8').replace('"source_db": "auth_db"', '"source_db": "x"'));
	for (const sourceDb of ['../x', `${root}/x`, 'auth_db/../../x', '..%2fx', 'AUTH_DB']) {
		const err = await executeNode({
			nodeType: node,
			parameters: { operation: 'anonymiseRelation', sourceDb, table: 'users', options: { policiesDir: path.join(root, 'policies') } },
			credentials: credentials(),
		}).catch((e) => e);
		expect(err).toBeInstanceOf(NodeOperationError);
		expect(err.message).toMatch(/^sourceDb ".*" is not a source database name: sourceDb must be a lower-case SQL identifier/);
		expect(err.description).toMatch(/^Set Source Database to the name of a registered source database/);
	}
	expect((await w.wh.query(`SELECT count(*)::int AS n FROM dwh_control.anonymise_runs WHERE source_db = 'x'`)).rows[0].n).toBe(0);
});

test('a policy problem is a node error with the fix in the description', async () => {
	await w.wh.query('ALTER TABLE raw.auth_db__users ADD COLUMN nickname text');
	const err = await executeNode({
		nodeType: node,
		parameters: { operation: 'anonymiseRelation', sourceDb: 'auth_db', table: 'users' },
		credentials: credentials({ salts: JSON.stringify(ROTATED) }),
	}).catch((e) => e);
	expect(err).toBeInstanceOf(NodeOperationError);
	expect(err.message).toContain('column nickname of raw.auth_db__users is not covered by the policy');
	expect(err.description).toBe('Edit policies/auth_db.policy.json (table users) and bump its version; the previous intermediate table is unchanged.');
});
