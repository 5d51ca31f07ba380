import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { anonymiseItems, warehouseLookups } from '../../../src/anonymise/itemMode';
import { forgetUsers } from '../../../src/anonymise/forget';
import { saltTypesOf } from '../../../src/anonymise/policy.schema';
import { rotateSalt } from '../../../src/anonymise/rotateSalt';
import { anonymiseRelation, policyTable } from '../../../src/anonymise/runner';
import { resolveActiveSalts } from '../../../src/anonymise/saltVersions';
import { anonymisationSecretsSchema } from '../../../src/anonymise/secrets.schema';
import { TokenVault } from '../../../src/anonymise/vault';
import { createPool } from '../../../src/transport/postgres';
import { createAnonWorld, loadSyntheticPii, type AnonWorld } from './world';

/**
 * With every statement logged (log_statement = all on both databases), a full round of anonymise, item mode,
 * rotation, right-to-be-forgotten and a vault reveal leaves no salt or key in the server log. The log file is the
 * devstack's (<data_directory>/../postgres.log); non-secret parameters are in it, which proves logging was on.
 */
let w: AnonWorld;
let wh: pg.Pool;
let vaultDb: pg.Pool;
const hex = () => randomBytes(32).toString('hex');
const secrets = anonymisationSecretsSchema.parse({
	salts: { users: { '1': hex(), '2': hex() }, emails: { '1': hex() }, phones: { '1': hex() }, devices: { '1': hex() } },
	hmacKey: hex(),
	vaultEncryptionKey: hex(),
});

beforeAll(async () => {
	w = await createAnonWorld('anon_log', secrets);
	await loadSyntheticPii(w.wh, 15);
	for (const db of [w.whConn.database, w.vaultConn.database]) await w.wh.query(`ALTER DATABASE "${db}" SET log_statement = 'all'`);
	// New pools: the settings apply to sessions started after ALTER DATABASE.
	wh = createPool(w.whConn);
	vaultDb = createPool(w.vaultConn);
});
afterAll(async () => {
	await wh?.end();
	await vaultDb?.end();
	await w?.close();
});

test('no salt or key reaches the server log while every statement is logged', async () => {
	const { rows } = await wh.query<{ d: string; ls: string }>(`SELECT current_setting('data_directory') AS d, current_setting('log_statement') AS ls`);
	expect(rows[0].ls).toBe('all');
	const logFile = path.join(path.dirname(rows[0].d), 'postgres.log');
	const vault = new TokenVault(vaultDb, { hmacKey: secrets.hmacKey, encryptionKey: secrets.vaultEncryptionKey! });
	const deps = { warehouse: wh, secrets, vault, executionId: `log-check-${secrets.hmacKey.slice(0, 6)}` };
	const policy = w.policy('auth_db');

	// Only the first version of "users" is active until the rotation below.
	const v2 = secrets.salts.users['2'];
	delete secrets.salts.users['2'];
	for (const t of ['users', 'sessions', 'kyc_records']) await anonymiseRelation(deps, { policy, table: t });
	const table = policyTable(policy.policy, 'users');
	const { rows: input } = await wh.query('SELECT * FROM raw.auth_db__users LIMIT 5');
	await anonymiseItems(
		{ salts: await resolveActiveSalts(wh, secrets.salts, saltTypesOf(table)), hmacKey: secrets.hmacKey, lookups: warehouseLookups(wh), vault },
		{ policy: policy.policy, table, asOf: '2026-11-25' },
		input,
	);
	await forgetUsers(deps, { requests: [{ userId: '2' }], policies: [...w.policies.values()] });
	secrets.salts.users['2'] = v2;
	await rotateSalt(deps, { saltType: 'users', policies: [policy] });
	const { rows: tok } = await wh.query<{ t: string }>(
		'SELECT sa_id_token::text AS t FROM intermediate.int_auth_db__users WHERE sa_id_token IS NOT NULL LIMIT 1',
	);
	await vault.reveal(tok[0].t, 'log check');

	const log = readFileSync(logFile, 'utf8');
	expect(log).toContain(deps.executionId);
	expect(log).toMatch(/parameters: \$1 = /i);
	const all = [secrets.hmacKey, secrets.vaultEncryptionKey!, ...Object.values(secrets.salts).flatMap((v) => Object.values(v))];
	expect(all.filter((s) => log.includes(s))).toEqual([]);
});
