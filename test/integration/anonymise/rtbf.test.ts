import { hashValue, subjectHmac } from '../../../src/anonymise/hashing';
import { completePartialForgets } from '../../../src/anonymise/completePartialForgets';
import { findFlaggedUsers, forgetUsers } from '../../../src/anonymise/forget';
import { anonymiseRelation, lockOutputs } from '../../../src/anonymise/runner';
import { createAnonWorld, loadSyntheticPii, type AnonWorld, type SyntheticSet } from './world';

let w: AnonWorld;
let data: SyntheticSet;
const AUTH_TABLES = ['users', 'sessions', 'kyc_records', 'phone_pins'];

async function count(rel: string, where: string, params: unknown[]): Promise<number> {
	const { rows } = await w.wh.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${rel} WHERE ${where}`, params);
	return rows[0].n;
}

beforeAll(async () => {
	w = await createAnonWorld('anon_rtbf');
	data = await loadSyntheticPii(w.wh, 30);
	// dbt's staging layer: one model materialised as a table, one as a view over raw.
	await w.wh.query(`CREATE SCHEMA IF NOT EXISTS staging;
		CREATE TABLE staging.stg_auth_db__users AS SELECT * FROM raw.auth_db__users;
		CREATE VIEW staging.stg_auth_db__sessions AS SELECT * FROM raw.auth_db__sessions`);
	await w.wh.query(`ALTER TABLE raw.auth_db__users ADD COLUMN deleted_at timestamptz`);
	await w.wh.query(`UPDATE raw.auth_db__users SET deleted_at = '2026-11-01T09:00:00Z' WHERE id IN (3, 5)`);
	const auth = w.policy('auth_db');
	// deleted_at is a new column: the policy keeps it (it says nothing about the person beyond the fact).
	const users = auth.policy.tables.find((t) => t.table === 'users')!;
	users.columns.deleted_at = { strategy: 'keep' };
	for (const table of AUTH_TABLES) await anonymiseRelation(w.deps, { policy: auth, table });
	await anonymiseRelation(w.deps, { policy: w.policy('tagme_db'), table: 'check_ins' });
});
afterAll(async () => w?.close());

test('flagged users are found with their request time', async () => {
	const flagged = await findFlaggedUsers(w.deps, { schema: 'raw', table: 'auth_db__users', idColumn: 'id', flagColumn: 'deleted_at' });
	expect(flagged).toEqual([
		{ userId: '3', requestedAt: '2026-11-01 09:00:00+00' },
		{ userId: '5', requestedAt: '2026-11-01 09:00:00+00' },
	]);
});

test('forgetting removes raw, staging and intermediate rows, purges the vault and writes the audit trail', async () => {
	const salt = w.secrets.salts.users['1'];
	const user3 = data.users[2];
	expect(user3.id).toBe(3);
	const h3 = hashValue(salt, 3)!;
	const sessions3 = data.sessions.filter((s) => s.user_id === 3).length;
	const checkIns3 = data.checkIns.filter((c) => c.user_id === 3).length;
	expect(sessions3).toBeGreaterThan(0);
	expect(checkIns3).toBeGreaterThan(0);
	const { rows: tok } = await w.wh.query<{ t: string }>('SELECT sa_id_token::text AS t FROM intermediate.int_auth_db__users WHERE user_hash = $1', [h3]);
	const token3 = tok[0].t;
	expect((await w.vault.reveal(token3, 'pre-check')).value).toBe(user3.sa_id_number);

	const flagged = await findFlaggedUsers(w.deps, { schema: 'raw', table: 'auth_db__users', idColumn: 'id', flagColumn: 'deleted_at' });
	const outcomes = await forgetUsers(w.deps, { requests: flagged, policies: [...w.policies.values()], reason: 'POPIA erasure request' });
	expect(outcomes.map((o) => o.status)).toEqual(['completed', 'completed']);
	const o3 = outcomes[0];
	expect(o3.subjectHmac).toBe(subjectHmac(w.secrets.hmacKey, '3'));
	const acted = Object.fromEntries(o3.actions.map((a) => [`${a.relation}:${a.action}`, a.rows]));
	expect(acted).toMatchObject({
		'raw.auth_db__users:deleted': 1,
		'staging.stg_auth_db__users:deleted': 1,
		'intermediate.int_auth_db__users:deleted': 1,
		'raw.auth_db__sessions:deleted': sessions3,
		'staging.stg_auth_db__sessions:view_follows_raw': 0,
		'intermediate.int_auth_db__sessions:deleted': sessions3,
		'raw.tagme_db__check_ins:deleted': checkIns3,
		'intermediate.int_tagme_db__check_ins:deleted': checkIns3,
		'raw.ledger_db__accounts:absent': 0,
		'compliance.token_vault:vault_purged': 1,
	});

	for (const t of AUTH_TABLES) {
		const col = t === 'users' ? 'id' : 'user_id';
		expect(await count(`raw.auth_db__${t}`, `${col} IN (3, 5)`, [])).toBe(0);
		expect(await count(`intermediate.int_auth_db__${t}`, 'user_hash = ANY($1)', [[h3, hashValue(salt, 5)]])).toBe(0);
	}
	expect(await count('staging.stg_auth_db__users', 'id IN (3, 5)', [])).toBe(0);
	expect(await count('staging.stg_auth_db__sessions', 'user_id IN (3, 5)', [])).toBe(0);
	expect(await count('raw.tagme_db__check_ins', 'user_id IN (3, 5)', [])).toBe(0);
	expect(await count('raw.auth_db__users', 'true', [])).toBe(28);

	await expect(w.vault.reveal(token3, 'post-check')).rejects.toThrow(`token ${token3} is not in the vault`);
	const { rows: left } = await w.vaultDb.query('SELECT count(*)::int AS n FROM compliance.token_subjects WHERE subject_hmac = $1', [o3.subjectHmac]);
	expect(left[0].n).toBe(0);

	const { rows: audit } = await w.wh.query(
		`SELECT r.status, r.reason, r.requested_at::text, r.completed_at IS NOT NULL AS done, s.sla_breached, s.rows_removed::int
		   FROM dwh_control.rtbf_requests r JOIN dwh_control.rtbf_sla s USING (request_id) ORDER BY request_id`,
	);
	expect(audit).toHaveLength(2);
	expect(audit[0]).toMatchObject({
		status: 'completed',
		reason: 'POPIA erasure request',
		requested_at: '2026-11-01 09:00:00+00',
		done: true,
		rows_removed: o3.rowsRemoved,
	});
	const { rows: ids } = await w.wh.query(`SELECT row_to_json(r)::text AS j FROM dwh_control.rtbf_requests r`);
	for (const r of ids) expect(r.j).not.toMatch(/"3"|user3|@/);
	expect(await findFlaggedUsers(w.deps, { schema: 'raw', table: 'auth_db__users', idColumn: 'id', flagColumn: 'deleted_at' })).toEqual([]);
});

test('a forgotten user who comes back with a later extract stays out of intermediate, and the vault does not re-link them', async () => {
	const u = data.users[2];
	await w.wh.query(`INSERT INTO raw.auth_db__users SELECT * FROM json_populate_record(NULL::raw.auth_db__users, $1::json)`, [
		JSON.stringify({ ...u, deleted_at: null, _dwh_run_id: 9, _dwh_loaded_at: '2026-11-24T00:00:00Z' }),
	]);
	const r = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'users' });
	expect(r.rowsIn).toBe(29);
	expect(r.rowsOut).toBe(28);
	expect(await count('intermediate.int_auth_db__users', 'user_hash = $1', [hashValue(w.secrets.salts.users['1'], 3)])).toBe(0);
	const { rows } = await w.vaultDb.query('SELECT count(*)::int AS n FROM compliance.token_subjects WHERE subject_hmac = $1', [
		subjectHmac(w.secrets.hmacKey, '3'),
	]);
	expect(rows[0].n).toBe(0);
});

test('a forgotten user whose flagged row returns with a re-extract (back-fill) is found and forgotten again', async () => {
	const u = data.users[4];
	expect(u.id).toBe(5);
	await w.wh.query(`INSERT INTO raw.auth_db__users SELECT * FROM json_populate_record(NULL::raw.auth_db__users, $1::json)`, [
		JSON.stringify({ ...u, deleted_at: '2026-11-01T09:00:00Z', _dwh_run_id: 10, _dwh_loaded_at: '2026-11-24T00:00:00Z' }),
	]);
	const flagged = await findFlaggedUsers(w.deps, { schema: 'raw', table: 'auth_db__users', idColumn: 'id', flagColumn: 'deleted_at' });
	expect(flagged).toEqual([{ userId: '5', requestedAt: '2026-11-01 09:00:00+00' }]);
	const [o] = await forgetUsers(w.deps, { requests: flagged, policies: [...w.policies.values()], reason: 'returned with a back-fill' });
	expect(o.status).toBe('completed');
	expect(await count('raw.auth_db__users', 'id = 5', [])).toBe(0);
	expect(await findFlaggedUsers(w.deps, { schema: 'raw', table: 'auth_db__users', idColumn: 'id', flagColumn: 'deleted_at' })).toEqual([]);
});

test('without a vault connection the request is recorded as partial with the reason', async () => {
	const [o] = await forgetUsers({ ...w.deps, vault: null }, { requests: [{ userId: '7' }], policies: [...w.policies.values()] });
	expect(o.status).toBe('partial');
	const { rows } = await w.wh.query('SELECT status, error_message, completed_at FROM dwh_control.rtbf_requests WHERE request_id = $1', [o.requestId]);
	expect(rows[0]).toEqual({
		status: 'partial',
		completed_at: null,
		error_message:
			'warehouse rows removed; the vault was not purged because the credential has no vault connection — the next Forget Users run with one completes it',
	});
	expect(await count('raw.auth_db__users', 'id = 7', [])).toBe(0);
});

test('a partial request is completed by the next run that has the vault: tokens purged, audit action, SLA clock stopped', async () => {
	const salt = w.secrets.salts.users['1'];
	const h9 = hashValue(salt, 9)!;
	const { rows: tok } = await w.wh.query<{ t: string }>('SELECT sa_id_token::text AS t FROM intermediate.int_auth_db__users WHERE user_hash = $1', [h9]);
	const token9 = tok[0].t;
	expect((await w.vault.reveal(token9, 'pre-check')).value).toBe(data.users[8].sa_id_number);

	const [partial] = await forgetUsers({ ...w.deps, vault: null }, { requests: [{ userId: '9' }], policies: [...w.policies.values()] });
	expect(partial.status).toBe('partial');
	// The user id is gone from raw, so the flagged-users sweep could never find them again: only the request can.
	expect(await count('raw.auth_db__users', 'id = 9', [])).toBe(0);
	expect((await w.vault.reveal(token9, 'still there').catch(() => null))?.value).toBe(data.users[8].sa_id_number);

	const healed = await completePartialForgets(w.deps);
	const mine = healed.find((o) => o.requestId === partial.requestId)!;
	expect(mine).toMatchObject({ status: 'completed', subjectHmac: subjectHmac(w.secrets.hmacKey, '9'), completedPartial: true });
	expect(mine.actions).toEqual([{ relation: 'compliance.token_vault', action: 'vault_purged', rows: expect.any(Number) }]);
	expect(mine.actions[0].rows).toBeGreaterThan(0);
	await expect(w.vault.reveal(token9, 'after purge')).rejects.toThrow();
	const { rows } = await w.wh.query(
		`SELECT r.status, r.error_message, r.completed_at IS NOT NULL AS done, s.sla_breached, s.actions::int AS actions
		   FROM dwh_control.rtbf_requests r JOIN dwh_control.rtbf_sla s USING (request_id) WHERE request_id = $1`,
		[partial.requestId],
	);
	expect(rows[0]).toMatchObject({ status: 'completed', error_message: null, done: true, sla_breached: false });
	// Nothing is left to complete, and a second run does not touch the request again.
	expect((await completePartialForgets(w.deps)).filter((o) => o.requestId === partial.requestId)).toEqual([]);
	// Without a vault there is nothing it can do.
	expect(await completePartialForgets({ ...w.deps, vault: null })).toEqual([]);
});

test('a forget waits for an anonymise build of the same output in flight, then removes the person from what it published', async () => {
	const holder = await w.wh.connect();
	try {
		await holder.query('BEGIN');
		await lockOutputs(holder, ['int_auth_db__users']);
		const forgetting = forgetUsers(w.deps, { requests: [{ userId: '11' }], policies: [...w.policies.values()] });
		let waiting = 0;
		for (let i = 0; i < 50 && waiting === 0; i++) {
			await new Promise((r) => setTimeout(r, 100));
			waiting = (await w.wh.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`)).rows[0].n;
		}
		expect(waiting).toBe(1);
		await holder.query('COMMIT');
		const [o] = await forgetting;
		expect(o.status).toBe('completed');
	} finally {
		holder.release();
	}
	expect(await count('intermediate.int_auth_db__users', 'user_hash = $1', [hashValue(w.secrets.salts.users['1'], 11)])).toBe(0);
});
