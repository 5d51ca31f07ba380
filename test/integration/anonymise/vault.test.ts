import { hashValue } from '../../../src/anonymise/hashing';
import { parsePolicy } from '../../../src/anonymise/policyLoader';
import { anonymiseRelation } from '../../../src/anonymise/runner';
import { TokenVault, VaultError } from '../../../src/anonymise/vault';
import { createAnonWorld, loadSyntheticPii, type AnonWorld, type SyntheticSet } from './world';

let w: AnonWorld;
let data: SyntheticSet;

beforeAll(async () => {
	w = await createAnonWorld('anon_vault');
	data = await loadSyntheticPii(w.wh, 40);
});
afterAll(async () => w?.close());

async function tokensByUser(): Promise<Map<string, string>> {
	const { rows } = await w.wh.query<{ user_hash: string; sa_id_token: string }>('SELECT user_hash, sa_id_token FROM intermediate.int_auth_db__users');
	return new Map(rows.map((r) => [r.user_hash, r.sa_id_token]));
}

test('tokenised SA ID numbers get one token per value, stable across rebuilds, shared across tables of the same kind', async () => {
	const first = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'users' });
	expect(first.tokensIssued).toBe(data.users.length);
	const before = await tokensByUser();
	expect(new Set(before.values()).size).toBe(data.users.length);
	for (const t of before.values()) expect(t).toMatch(/^\d+$/);

	const again = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'users' });
	expect(again.tokensIssued).toBe(0);
	expect(await tokensByUser()).toEqual(before);

	// kyc_records.document_number is the same SA ID under the same kind: same token, nothing new issued.
	const kyc = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'kyc_records' });
	expect(kyc.tokensIssued).toBe(0);
	const { rows } = await w.wh.query<{ user_hash: string; document_token: string }>(
		'SELECT user_hash, document_token FROM intermediate.int_auth_db__kyc_records',
	);
	expect(rows.length).toBe(data.kyc.length);
	for (const r of rows) expect(r.document_token).toBe(before.get(r.user_hash));
});

test('a token is reversible with the key, the reveal is audited, and the wrong key cannot decrypt it', async () => {
	const salt = w.secrets.salts.users['1'];
	const u = data.users[7];
	const token = (await tokensByUser()).get(hashValue(salt, u.id)!)!;
	const revealed = await w.vault.reveal(token, 'court order 2026/117 (test)');
	expect(revealed).toEqual({ kind: 'identity_document', value: u.sa_id_number });
	const { rows: log } = await w.vaultDb.query('SELECT token::text, kind, reason FROM compliance.reveal_log');
	expect(log).toEqual([{ token, kind: 'identity_document', reason: 'court order 2026/117 (test)' }]);

	const thief = new TokenVault(w.vaultDb, { hmacKey: w.secrets.hmacKey, encryptionKey: 'not-the-key-not-the-key-not-the-key-0000' });
	await expect(thief.reveal(token, 'curiosity')).rejects.toThrow(
		new VaultError(`token ${token} cannot be decrypted with this Vault Encryption Key (wrong key)`),
	);
	await expect(w.vault.reveal(token, '  ')).rejects.toThrow('a reveal needs a reason');
});

test('the vault holds no clear text: values are encrypted at rest and found by keyed hash only', async () => {
	const { rows } = await w.vaultDb.query<{ v: Buffer; h: Buffer }>('SELECT value_encrypted AS v, lookup_hash AS h FROM compliance.token_vault');
	expect(rows.length).toBe(data.users.length);
	const ids = data.users.map((u) => String(u.sa_id_number));
	for (const r of rows) {
		const bytes = r.v.toString('latin1');
		for (const id of ids) expect(bytes.includes(id)).toBe(false);
		expect(r.h.length).toBe(32);
	}
});

test('no token reaches intermediate when the policy hashes the column instead', async () => {
	const raw = JSON.parse(JSON.stringify(w.policy('auth_db').policy));
	const users = raw.tables.find((t: { table: string }) => t.table === 'users');
	users.columns.sa_id_number = { strategy: 'hash', salt: 'users', algorithm: 'hmac_sha256', as: 'sa_id_hash' };
	const hashed = { policy: parsePolicy({ ...raw, version: 'hash-ids' }, 'hash-ids'), sha256: 'x', file: null };
	const { rows: countBefore } = await w.vaultDb.query('SELECT count(*)::int AS n FROM compliance.token_vault');
	const r = await anonymiseRelation({ ...w.deps, vault: null }, { policy: hashed, table: 'users' });
	expect(r.tokensIssued).toBe(0);
	expect(r.columns).toContain('sa_id_hash');
	expect(r.columns).not.toContain('sa_id_token');
	const { rows } = await w.wh.query(
		`SELECT column_name FROM information_schema.columns WHERE table_schema = 'intermediate' AND table_name = 'int_auth_db__users'`,
	);
	expect(rows.map((c) => c.column_name)).not.toContain('sa_id_token');
	const tokens = new Set((await w.vaultDb.query('SELECT token::text AS t FROM compliance.token_vault')).rows.map((x) => x.t));
	const { rows: vals } = await w.wh.query({ text: 'SELECT * FROM intermediate.int_auth_db__users', rowMode: 'array' });
	for (const row of vals as unknown[][]) for (const v of row) expect(tokens.has(String(v))).toBe(false);
	const { rows: countAfter } = await w.vaultDb.query('SELECT count(*)::int AS n FROM compliance.token_vault');
	expect(countAfter[0].n).toBe(countBefore[0].n);
});

test('tokenising without a configured vault fails with a message naming the column and the credential fields', async () => {
	await expect(anonymiseRelation({ ...w.deps, vault: null }, { policy: w.policy('auth_db'), table: 'kyc_records' })).rejects.toThrow(
		'Policy auth_db, table kyc_records: column document_number is tokenised, but no vault is configured — fill in the vault connection and Vault Encryption Key of the anonymisation-secrets credential',
	);
});
