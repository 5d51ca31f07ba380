import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { forgetUsers } from '../../../src/anonymise/forget';
import { hashValue, subjectHmac } from '../../../src/anonymise/hashing';
import { scanResidue } from '../../../src/anonymise/residueScan';
import { anonymiseRelation, type AnonymiseDeps } from '../../../src/anonymise/runner';
import { enrichRelation } from '../../../src/enrich/enrichRelation';
import { readyTarget } from '../../../src/pushback/readyTargets';
import { pushTarget } from '../../../src/pushback/pushTarget';
import { createLogin, stageLogin, type Login } from '../../harness/loginRole';
import { adminConnection, dropDatabase, freshDatabase } from '../../harness/testEnv';
import { createAnonWorld, loadRaw, loadSyntheticPii, type AnonWorld } from './world';

/**
 * Forgetting reaches every copy: a user who is in raw, the Anonymise outputs, Enrich's enr_* tables, marts (tables,
 * a view, a materialized view) and analytics_db (a ready-made push target and a hand-made table) is gone from all of
 * them after one Forget Users run, except the legally held ledger records, which stay unlinked. Each stage runs as its
 * documented login (docs/security.md): Anonymise and Forget Users as dwh_compliance, Enrich as dwh_etl, the marts as
 * dbt's dwh_transform, the push as dwh_pushback; analytics_db work as a push-back login (CREATE on the database, owner
 * of its targets).
 */
let w: AnonWorld;
let etl: Login;
let dbt: Login;
let pushWh: Login;
let push: Login;
let analyticsDb: string;
let admin: pg.Pool;
let deps: AnonymiseDeps;
const appRole = `tagme_app_${randomBytes(3).toString('hex')}`;
const USER = 7;
let h7: string;

const TRANSACTIONS = `id bigint PRIMARY KEY, account_id bigint NOT NULL, user_id bigint, direction text NOT NULL, amount_zar numeric(14,2) NOT NULL,
	category text, merchant_name text, reference text, channel text, created_at timestamptz NOT NULL`;

beforeAll(async () => {
	w = await createAnonWorld('anon_rtbf_copies');
	await loadSyntheticPii(w.wh, 40);
	// Four payments per user: three within FICA's five years, one from 2019.
	const tx = [];
	for (let u = 1; u <= 40; u++) {
		for (let i = 0; i < 4; i++) {
			tx.push({
				id: u * 10 + i,
				account_id: 1000 + u,
				user_id: u,
				direction: 'debit',
				amount_zar: `${u}.${i}0`,
				category: 'groceries',
				merchant_name: 'Spar',
				reference: `to user ${u}`,
				channel: 'app',
				created_at: i < 3 ? `2026-0${i + 1}-15T10:00:00Z` : '2019-06-01T10:00:00Z',
			});
		}
	}
	await loadRaw(w.wh, 'ledger_db', 'transactions', TRANSACTIONS, tx);
	const { rows } = await w.wh.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'raw'`);
	for (const { t } of rows) await w.wh.query(`ALTER TABLE raw.${t} OWNER TO dwh_owner`);
	etl = await stageLogin(w.whConn.database, 'dwh_etl');
	dbt = await stageLogin(w.whConn.database, 'dwh_transform');
	pushWh = await stageLogin(w.whConn.database, 'dwh_pushback');
	deps = w.deps;
	h7 = hashValue(w.secrets.salts.users['1'], USER)!;

	await anonymiseRelation(deps, { policy: w.policy('auth_db'), table: 'users', asOf: '2026-11-25' });
	await anonymiseRelation(deps, { policy: w.policy('tagme_db'), table: 'check_ins', asOf: '2026-11-25' });
	await anonymiseRelation(deps, { policy: w.policy('ledger_db'), table: 'transactions', asOf: '2026-11-25' });
	// Enrich's outputs, as the demo makes them: two enr_* tables and the cross-app one built over a view.
	await enrichRelation(etl.pool, {
		source: 'intermediate.int_tagme_db__check_ins',
		target: 'intermediate.enr_tagme_check_ins',
		families: { temporal: { timestampColumn: 'created_at' } },
	});
	await enrichRelation(etl.pool, {
		source: 'intermediate.int_ledger_db__transactions',
		target: 'intermediate.enr_ledger_transactions',
		families: { temporal: { timestampColumn: 'created_at' } },
	});
	await etl.pool.query(`CREATE VIEW intermediate.enr_app_events_src AS
		SELECT user_hash, created_at AS event_time FROM intermediate.int_tagme_db__check_ins
		UNION ALL SELECT user_hash, created_at FROM intermediate.int_ledger_db__transactions`);
	await enrichRelation(etl.pool, {
		source: 'intermediate.enr_app_events_src',
		target: 'intermediate.enr_app_events',
		families: { temporal: { timestampColumn: 'event_time' } },
	});
	// Marts as dbt would leave them; each user pays the next one twice (user 7 sends two and receives two).
	await dbt.pool.query(`
		CREATE TABLE marts.fct_tagme_checkins AS
		  SELECT user_hash, poi_id, 'food'::text AS category, 'Johannesburg'::text AS city, now() - interval '1 day' AS checked_in_at FROM intermediate.int_tagme_db__check_ins;
		CREATE MATERIALIZED VIEW marts.mv_user_checkins AS SELECT user_hash, count(*) AS n FROM marts.fct_tagme_checkins GROUP BY 1;
		CREATE TABLE marts.fct_sdpkt_payments (sender_hash text, receiver_hash text, amount_zar numeric);
		CREATE VIEW marts.v_payments AS SELECT * FROM marts.fct_sdpkt_payments;`);
	const salt = w.secrets.salts.users['1'];
	for (let u = 1; u <= 40; u++) {
		await dbt.pool.query(`INSERT INTO marts.fct_sdpkt_payments SELECT $1, $2, 10 FROM generate_series(1, 2)`, [
			hashValue(salt, u),
			hashValue(salt, (u % 40) + 1),
		]);
	}

	// analytics_db: the push-back login owns what it creates; the app role exists (a DBA made it).
	analyticsDb = (await freshDatabase('anon_rtbf_copies_an')).database!;
	admin = new pg.Pool({ ...(adminConnection(analyticsDb) as pg.PoolConfig), max: 2 });
	await admin.query(`CREATE ROLE ${appRole} NOLOGIN`);
	push = await createLogin(analyticsDb, [], 'pushback');
	await admin.query(`GRANT CREATE ON DATABASE ${pg.escapeIdentifier(analyticsDb)} TO ${pg.escapeIdentifier(push.login)}`);
	const pushed = await pushTarget({ warehouse: pushWh.pool, analytics: push.pool }, { ...readyTarget('tagme.user_summary').config, appRole });
	expect([pushed.status, pushed.inserted]).toEqual(['pushed', 40]);
	await push.pool.query(`CREATE SCHEMA app_cache; CREATE TABLE app_cache.recent_users AS SELECT user_hash FROM tagme.user_summary`);
}, 120_000);

afterAll(async () => {
	await push?.drop();
	await admin?.query(`DROP OWNED BY ${appRole}`).catch(() => undefined);
	await admin?.end();
	await dropDatabase(analyticsDb).catch(() => undefined);
	await new pg.Pool(adminConnection() as pg.PoolConfig).query(`DROP ROLE IF EXISTS ${appRole}`).catch(() => undefined);
	for (const l of [etl, dbt, pushWh]) await l?.drop();
	await w?.close();
});

const whCount = async (sql: string, params: unknown[] = []) => Number((await w.wh.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params)).rows[0].n);
const anCount = async (sql: string, params: unknown[] = []) => Number((await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params)).rows[0].n);

/** The product's residue verifier over both databases and the vault (residueScan.ts). */
const scan = () =>
	scanResidue(
		{ warehouse: w.wh, analytics: admin, vault: w.vaultDb, secrets: w.secrets, policies: [...w.policies.values()] },
		{ userId: String(USER), sourceDb: 'auth_db' },
	);

test('before: the user is in every copy', async () => {
	expect(await whCount(`intermediate.enr_tagme_check_ins WHERE user_hash = $1`, [h7])).toBe(2);
	expect(await whCount(`intermediate.enr_ledger_transactions WHERE user_hash = $1`, [h7])).toBe(4);
	expect(await whCount(`intermediate.enr_app_events WHERE user_hash = $1`, [h7])).toBe(6);
	expect(await anCount(`tagme.user_summary WHERE user_hash = $1`, [h7])).toBe(1);
	const copies = (await scan()).residue.filter((f) => f.matched.includes('hash'));
	expect(copies.filter((f) => f.place === 'warehouse').length).toBe(10);
	expect(copies.filter((f) => f.place === 'analytics_db').map((f) => f.location)).toEqual(['app_cache.recent_users.user_hash', 'tagme.user_summary.user_hash']);
});

test('an analytics_db copy the login may not delete from fails the whole request: nothing is lost, the next run retries', async () => {
	await admin.query(`CREATE TABLE public.locked_copy (user_hash text)`);
	await admin.query(`INSERT INTO public.locked_copy VALUES ($1)`, [h7]);
	const [o] = await forgetUsers(deps, { requests: [{ userId: String(USER) }], policies: [...w.policies.values()], analytics: push.pool });
	expect(o.status).toBe('failed');
	expect(o.actions).toEqual([]);
	const { rows } = await w.wh.query(`SELECT status, error_message FROM dwh_control.rtbf_requests WHERE request_id = $1`, [o.requestId]);
	expect(rows[0]).toEqual({
		status: 'failed',
		error_message:
			'cannot remove the person from analytics_db.public.locked_copy: permission denied for table locked_copy — grant the forgetting login DELETE and UPDATE on it (REFRESH needs its owner role), or drop it',
	});
	expect(await whCount(`raw.auth_db__users WHERE id = $1`, [USER])).toBe(1);
	expect(await whCount(`intermediate.enr_tagme_check_ins WHERE user_hash = $1`, [h7])).toBe(2);
	expect(await anCount(`tagme.user_summary WHERE user_hash = $1`, [h7])).toBe(1);
	await admin.query(`DROP TABLE public.locked_copy`);
});

test('one run removes the user from raw, intermediate (enr_* included), marts and analytics_db, keeps the FICA records unlinked, and audits each place', async () => {
	const others = await whCount(`intermediate.enr_app_events`);
	const [o] = await forgetUsers(deps, {
		requests: [{ userId: String(USER) }],
		policies: [...w.policies.values()],
		reason: 'erasure request',
		analytics: push.pool,
	});
	const { rows: why } = await w.wh.query(`SELECT error_message FROM dwh_control.rtbf_requests WHERE request_id = $1`, [o.requestId]);
	expect([o.status, why[0].error_message]).toEqual(['completed', null]);
	const acted = Object.fromEntries(o.actions.map((a) => [`${a.relation}:${a.action}${a.note?.startsWith('column') ? `:${a.note}` : ''}`, a.rows]));
	expect(acted).toMatchObject({
		'raw.auth_db__users:deleted': 1,
		'intermediate.int_auth_db__users:deleted': 1,
		'raw.tagme_db__check_ins:deleted': 2,
		'intermediate.int_tagme_db__check_ins:deleted': 2,
		'raw.ledger_db__transactions:held_unlinked': 3,
		'raw.ledger_db__transactions:deleted': 1,
		'intermediate.int_ledger_db__transactions:held_unlinked': 3,
		'intermediate.int_ledger_db__transactions:deleted': 1,
		'intermediate.enr_tagme_check_ins:deleted': 2,
		'intermediate.enr_ledger_transactions:deleted': 4,
		'intermediate.enr_app_events:deleted': 6,
		'intermediate.enr_app_events_src:view_follows': 0,
		'marts.fct_tagme_checkins:deleted': 2,
		'marts.mv_user_checkins:refreshed': 1,
		'marts.fct_sdpkt_payments:deleted': 2,
		'marts.fct_sdpkt_payments:unlinked:column receiver_hash': 2,
		'marts.v_payments:view_follows': 0,
		'analytics_db.tagme.user_summary:deleted': 1,
		'analytics_db.app_cache.recent_users:deleted': 1,
	});
	expect(o.actions.find((a) => a.relation === 'compliance.token_vault')?.action).toBe('vault_purged');

	// Nothing of the person is left in either database or the vault, by id, hash or subject HMAC, except the hold.
	const after = await scan();
	expect(after.residue).toEqual([]);
	expect(after.holds.map((h) => `${h.location}: ${h.count}`)).toEqual(['intermediate.int_ledger_db__transactions: 3', 'raw.ledger_db__transactions: 3']);
	for (const t of ['auth_db__users', 'auth_db__sessions', 'tagme_db__check_ins', 'ledger_db__transactions']) {
		expect(await whCount(`raw.${t} WHERE ${t === 'auth_db__users' ? 'id' : 'user_id'} = $1`, [USER])).toBe(0);
	}
	// Everyone else is untouched.
	expect(await whCount(`intermediate.enr_app_events`)).toBe(others - 6);
	expect(await anCount(`tagme.user_summary`)).toBe(39);
	expect(await whCount(`marts.fct_sdpkt_payments WHERE receiver_hash IS NULL`)).toBe(2);

	// The held records: amounts and dates kept, no person, in raw (so a rebuild keeps them) and intermediate.
	const { rows: held } = await w.wh.query(
		`SELECT id, user_id, reference, amount_zar::text AS amount FROM raw.ledger_db__transactions WHERE user_id IS NULL ORDER BY id`,
	);
	expect(held).toEqual([70, 71, 72].map((id, i) => ({ id: String(id), user_id: null, reference: null, amount: `7.${i}0` })));
	expect(await whCount(`intermediate.int_ledger_db__transactions WHERE user_hash IS NULL`)).toBe(3);
	await anonymiseRelation(deps, { policy: w.policy('ledger_db'), table: 'transactions', asOf: '2026-11-25' });
	expect(await whCount(`intermediate.int_ledger_db__transactions WHERE user_hash IS NULL`)).toBe(3);
	expect(await whCount(`intermediate.int_ledger_db__transactions`)).toBe(159);

	// The audit names each place with its count, and the hold with its basis; no user id or hash in it.
	const { rows: audit } = await w.wh.query(
		`SELECT relation, action, rows_affected::int AS n, note FROM dwh_control.rtbf_actions WHERE request_id = $1 AND action = 'held_unlinked' ORDER BY relation`,
		[o.requestId],
	);
	expect(audit).toEqual([
		{
			relation: 'intermediate.int_ledger_db__transactions',
			action: 'held_unlinked',
			n: 3,
			note: 'legal hold: FICA s22/s23 (design doc §6.7): transaction records kept for 5 years — kept 5 years from created_at; set to NULL: user_hash',
		},
		{
			relation: 'raw.ledger_db__transactions',
			action: 'held_unlinked',
			n: 3,
			note: 'legal hold: FICA s22/s23 (design doc §6.7): transaction records kept for 5 years — kept 5 years from created_at; set to NULL: user_id, reference',
		},
	]);
	expect(await whCount(`dwh_control.rtbf_actions WHERE request_id = $1 AND relation LIKE 'analytics_db.%'`, [o.requestId])).toBe(2);
	const { rows: text } = await w.wh.query(`SELECT string_agg(relation || coalesce(note, ''), ' ') AS t FROM dwh_control.rtbf_actions`);
	expect(text[0].t).not.toContain(h7);
	const { rows: req } = await w.wh.query(`SELECT status, subject_hmac FROM dwh_control.rtbf_requests WHERE request_id = $1`, [o.requestId]);
	expect(req[0]).toEqual({ status: 'completed', subject_hmac: subjectHmac(w.secrets.hmacKey, String(USER)) });
});
