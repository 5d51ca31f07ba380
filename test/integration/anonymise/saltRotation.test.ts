import { hashValue } from '../../../src/anonymise/hashing';
import { anonymiseRelation } from '../../../src/anonymise/runner';
import { rotateSalt } from '../../../src/anonymise/rotateSalt';
import { SaltMismatchError } from '../../../src/anonymise/saltVersions';
import { createAnonWorld, loadSyntheticPii, type AnonWorld } from './world';

let w: AnonWorld;
const V2 = 'test-only-users-salt-v2-rotated-2027';

beforeAll(async () => {
	w = await createAnonWorld('anon_rotate');
	await loadSyntheticPii(w.wh, 20);
	for (const t of ['users', 'sessions']) await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: t });
	await anonymiseRelation(w.deps, { policy: w.policy('tagme_db'), table: 'check_ins' });
});
afterAll(async () => w?.close());

async function userHashes(rel: string, col = 'user_hash'): Promise<Set<string>> {
	const { rows } = await w.wh.query(`SELECT DISTINCT ${col} AS h FROM ${rel}`);
	return new Set(rows.map((r) => r.h));
}

test('adding a version to the credential changes nothing until Rotate Salt', async () => {
	w.secrets.salts.users['2'] = V2;
	const r = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'users' });
	expect(r.saltVersions.users).toBe(1);
	expect(await userHashes('intermediate.int_auth_db__users')).toEqual(
		new Set(Array.from({ length: 20 }, (_, i) => hashValue(w.secrets.salts.users['1'], i + 1))),
	);
});

test('rotation re-keys every table hashing with the salt in one go, records the versions, and later runs stay on the new salt', async () => {
	const res = await rotateSalt(w.deps, { saltType: 'users', policies: [...w.policies.values()] });
	expect(res.fromVersion).toBe(1);
	expect(res.toVersion).toBe(2);
	expect(res.rebuilt.map((r) => r.outputRelation).sort()).toEqual(
		[
			'intermediate.int_auth_db__kyc_records',
			'intermediate.int_auth_db__phone_pins',
			'intermediate.int_auth_db__sessions',
			'intermediate.int_auth_db__users',
			'intermediate.int_messaging_db__messages',
			'intermediate.int_tagme_db__check_ins',
		].sort(),
	);
	expect(res.skipped).toEqual(expect.arrayContaining(['raw.ledger_db__accounts', 'raw.messaging_db__participants']));
	const v2 = new Set(Array.from({ length: 20 }, (_, i) => hashValue(V2, i + 1)));
	expect(await userHashes('intermediate.int_auth_db__users')).toEqual(v2);
	for (const h of await userHashes('intermediate.int_auth_db__sessions')) expect(v2.has(h)).toBe(true);
	for (const h of await userHashes('intermediate.int_tagme_db__check_ins')) expect(v2.has(h)).toBe(true);

	const { rows: runs } = await w.wh.query(`SELECT mode, status, salt_versions FROM dwh_control.anonymise_runs WHERE mode = 'rotation'`);
	expect(runs).toHaveLength(6);
	for (const r of runs) expect(r).toMatchObject({ status: 'published', salt_versions: expect.objectContaining({ users: 2 }) });
	const { rows: rot } = await w.wh.query(`SELECT salt_type, from_version, to_version, cardinality(tables_rebuilt) AS n FROM dwh_control.salt_rotations`);
	expect(rot).toEqual([{ salt_type: 'users', from_version: 1, to_version: 2, n: 6 }]);

	const later = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'sessions' });
	expect(later.saltVersions).toEqual({ users: 2, devices: 1 });
	await expect(rotateSalt(w.deps, { saltType: 'users', policies: [...w.policies.values()] })).rejects.toThrow(
		'Salt "users" is already at version 2; add version 3 to Salts in the anonymisation-secrets credential, then rotate',
	);
});

test('a failing table rolls the whole rotation back: old salt stays active and every table keeps its old hashes', async () => {
	w.secrets.salts.users['3'] = 'test-only-users-salt-v3-never-active';
	const before = await userHashes('intermediate.int_auth_db__users');
	await w.wh.query(`ALTER TABLE raw.tagme_db__check_ins ADD COLUMN surprise text`);
	await expect(rotateSalt(w.deps, { saltType: 'users', policies: [...w.policies.values()] })).rejects.toThrow(
		'column surprise of raw.tagme_db__check_ins is not covered',
	);
	await w.wh.query(`ALTER TABLE raw.tagme_db__check_ins DROP COLUMN surprise`);
	expect(await userHashes('intermediate.int_auth_db__users')).toEqual(before);
	const { rows } = await w.wh.query(`SELECT active_version FROM dwh_control.anonymise_salts WHERE salt_type = 'users'`);
	expect(rows[0].active_version).toBe(2);
	const { rows: failed } = await w.wh.query(`SELECT count(*)::int AS n FROM dwh_control.anonymise_runs WHERE mode = 'rotation' AND status = 'failed'`);
	expect(failed[0].n).toBe(6);
});

test('a salt whose value changed under an existing version is refused (joins would silently break)', async () => {
	w.secrets.salts.users['2'] = 'someone-pasted-a-different-salt-here';
	await expect(anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'users' })).rejects.toThrow(SaltMismatchError);
	w.secrets.salts.users['2'] = V2;
});
