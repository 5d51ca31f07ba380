import { hashValue } from '../../../src/anonymise/hashing';
import { parsePolicy } from '../../../src/anonymise/policyLoader';
import { anonymiseRelation, PiiCheckFailedError } from '../../../src/anonymise/runner';
import { PolicyCoverageError } from '../../../src/anonymise/sqlBuilder';
import { detectPii } from '../../../src/privacy/detectors';
import { scanRelationForPii } from '../../../src/privacy/piiScan';
import { createAnonWorld, loadIpRanges, loadSyntheticPii, type AnonWorld, type SyntheticSet } from './world';

let w: AnonWorld;
let data: SyntheticSet;

beforeAll(async () => {
	w = await createAnonWorld('anon_set');
	data = await loadSyntheticPii(w.wh);
	await loadIpRanges(w.wh);
});
afterAll(async () => w?.close());

const TABLES: [string, string][] = [
	['auth_db', 'users'],
	['auth_db', 'sessions'],
	['auth_db', 'kyc_records'],
	['auth_db', 'phone_pins'],
	['tagme_db', 'check_ins'],
	['messaging_db', 'messages'],
];

/** Every value of every intermediate table through every detector: the whole table, not a sample. */
async function fullScan(): Promise<string[]> {
	const { rows: tables } = await w.wh.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'intermediate' ORDER BY 1`);
	const hits: string[] = [];
	for (const { t } of tables) {
		const { rows } = await w.wh.query({ text: `SELECT * FROM intermediate.${t}`, rowMode: 'array' });
		for (const row of rows as unknown[][]) {
			for (const v of row) if (v !== null && detectPii(String(v)).length) hits.push(`${t}: ${detectPii(String(v)).join(',')}`);
		}
	}
	return hits;
}

describe('set-based anonymisation of a synthetic South African PII source', () => {
	test('every table publishes with the row count of its input and the policy version and salt versions are logged', async () => {
		for (const [db, table] of TABLES) {
			const r = await anonymiseRelation(w.deps, { policy: w.policy(db), table, asOf: '2026-11-25' });
			const { rows } = await w.wh.query<{ n: string }>(`SELECT count(*) AS n FROM raw.${db}__${table}`);
			expect(r.rowsIn).toBe(Number(rows[0].n));
			expect(r.rowsOut).toBe(Number(rows[0].n));
			expect(r.outputRelation).toBe(`intermediate.int_${db}__${table}`);
		}
		const { rows: runs } = await w.wh.query(
			`SELECT output_relation, status, policy_version, salt_versions, policy_sha256 FROM dwh_control.anonymise_runs ORDER BY run_id`,
		);
		expect(runs).toHaveLength(TABLES.length);
		for (const r of runs) {
			expect(r.status).toBe('published');
			const db = /^intermediate\.int_(.+?)__/.exec(r.output_relation)![1];
			expect(r.policy_version).toBe(w.policy(db).policy.version);
			expect(r.policy_sha256).toMatch(/^[0-9a-f]{64}$/);
		}
		expect(runs[0].salt_versions).toEqual({ users: 1, emails: 1, phones: 1 });
		expect(runs[1].salt_versions).toEqual({ users: 1, devices: 1 });
	});

	test('no detector finds anything in intermediate.*, by the gate and by a full scan', async () => {
		const { rows: tables } = await w.wh.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'intermediate'`);
		expect(tables.map((t) => t.t).sort()).toEqual(TABLES.map(([d, t]) => `int_${d}__${t}`).sort());
		for (const { t } of tables) expect(await scanRelationForPii(w.wh, { schema: 'intermediate', table: t })).toEqual([]);
		expect(await fullScan()).toEqual([]);
	});

	test('identifiers are hashed, suppressed columns are gone, generalised values are coarse', async () => {
		const { rows } = await w.wh.query(`SELECT * FROM intermediate.int_auth_db__users ORDER BY updated_at, user_hash`);
		expect(Object.keys(rows[0]).sort()).toEqual(
			[
				'user_hash',
				'email_hash',
				'phone_hash',
				'sa_id_token',
				'age_band',
				'gender',
				'home_city',
				'province',
				'country',
				'marketing_opt_in',
				'status',
				'created_at',
				'updated_at',
			].sort(),
		);
		const salt = w.secrets.salts.users['1'];
		const expected = new Set(data.users.map((u) => hashValue(salt, u.id)));
		expect(new Set(rows.map((r) => r.user_hash))).toEqual(expected);
		for (const r of rows) expect(['<18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+']).toContain(r.age_band);

		const { rows: msgs } = await w.wh.query(`SELECT * FROM intermediate.int_messaging_db__messages LIMIT 1`);
		expect(Object.keys(msgs[0])).not.toEqual(expect.arrayContaining(['body']));
		expect(Object.keys(msgs[0])).not.toContain('media_url');
		expect(Object.keys(msgs[0])).toContain('has_media');

		const { rows: grid } = await w.wh.query<{ lat_grid: number; lng_grid: number }>(`SELECT lat_grid, lng_grid FROM intermediate.int_tagme_db__check_ins`);
		for (const g of grid) {
			expect(Math.round(g.lat_grid * 100) / 100).toBe(g.lat_grid);
			expect(Math.round(g.lng_grid * 100) / 100).toBe(g.lng_grid);
		}

		const { rows: sess } = await w.wh.query(`SELECT ip_city, ip_country, device_class FROM intermediate.int_auth_db__sessions`);
		expect(new Set(sess.map((s) => s.ip_city))).toEqual(new Set(['Johannesburg', 'Cape Town', 'Stellenbosch', null]));
		expect(new Set(sess.map((s) => s.device_class))).toEqual(new Set(['Android-recent', 'Android-old', 'iOS-recent', 'iOS-old', 'Web', 'Other', null]));
	});

	test('a leaky policy is caught: the new table is not published, the old one is intact, and the error names table, column, detector — never the value', async () => {
		const before = await w.wh.query(`SELECT * FROM intermediate.int_auth_db__users ORDER BY user_hash`);
		const raw = JSON.parse(JSON.stringify(w.policy('auth_db').policy));
		const users = raw.tables.find((t: { table: string }) => t.table === 'users');
		users.columns.email = 'keep';
		users.columns.sa_id_number = { strategy: 'keep', as: 'national_ref' };
		const leaky = { policy: parsePolicy({ ...raw, version: 'leaky' }, 'leaky'), sha256: null as unknown as string, file: null };

		const err = await anonymiseRelation(w.deps, { policy: leaky, table: 'users', asOf: '2026-11-25' }).catch((e) => e);
		expect(err).toBeInstanceOf(PiiCheckFailedError);
		expect(err.message).toContain('intermediate.int_auth_db__users.email: column name looks like email');
		expect(err.message).toMatch(/intermediate\.int_auth_db__users\.email: email in \d+ sampled values/);
		expect(err.message).toMatch(/intermediate\.int_auth_db__users\.national_ref: sa_id_number in \d+ sampled values/);
		expect(err.message).toContain('NOT published');
		for (const u of data.users) {
			expect(err.message).not.toContain(String(u.email));
			expect(err.message).not.toContain(String(u.sa_id_number));
		}

		const after = await w.wh.query(`SELECT * FROM intermediate.int_auth_db__users ORDER BY user_hash`);
		expect(after.rows).toEqual(before.rows);
		const { rows: leftovers } = await w.wh.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'intermediate' AND tablename LIKE '%build%'`);
		expect(leftovers).toEqual([]);

		const { rows: run } = await w.wh.query(
			`SELECT status, pii_findings::text AS f, salt_versions FROM dwh_control.anonymise_runs WHERE policy_version = 'leaky'`,
		);
		expect(run[0].status).toBe('blocked');
		expect(JSON.parse(run[0].f)).toEqual(
			expect.arrayContaining([expect.objectContaining({ table: 'intermediate.int_auth_db__users', column: 'email', detector: 'email', kind: 'content' })]),
		);
		for (const u of data.users) expect(run[0].f).not.toContain(String(u.email));
	});

	test('a column the policy does not cover (schema drift) stops the run with source, table and column named', async () => {
		await w.wh.query(`ALTER TABLE raw.auth_db__phone_pins ADD COLUMN recovery_email text`);
		const err = await anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'phone_pins' }).catch((e) => e);
		expect(err).toBeInstanceOf(PolicyCoverageError);
		expect(err.message).toBe(
			'Anonymisation policy auth_db, table phone_pins: column recovery_email of raw.auth_db__phone_pins is not covered by the policy — add it with a strategy (keep, suppress, hash, tokenise, generalise) and bump the version',
		);
		await w.wh.query(`ALTER TABLE raw.auth_db__phone_pins DROP COLUMN recovery_email`);
	});

	test('a missing input relation is a clear error and publishes nothing', async () => {
		const err = await anonymiseRelation(w.deps, { policy: w.policy('ledger_db'), table: 'holds' }).catch((e) => e);
		expect(err.message).toBe('Input relation raw.ledger_db__holds does not exist — extract and load ledger_db.holds first');
		const { rows } = await w.wh.query(`SELECT status, error_message FROM dwh_control.anonymise_runs WHERE source_table = 'holds'`);
		expect(rows).toEqual([{ status: 'failed', error_message: err.message }]);
	});

	test('readers during rebuilds see the old table or the new one, never an empty, missing or half-built table', async () => {
		const { rows } = await w.wh.query<{ n: number }>('SELECT count(*)::int AS n FROM raw.tagme_db__check_ins');
		const expected = rows[0].n;
		let stop = false;
		const seen: (number | string)[] = [];
		const reader = (async () => {
			while (!stop) {
				try {
					const r = await w.wh.query<{ n: number }>('SELECT count(*)::int AS n FROM intermediate.int_tagme_db__check_ins');
					seen.push(r.rows[0].n);
				} catch (err) {
					seen.push((err as Error).message);
				}
			}
		})();
		for (let i = 0; i < 4; i++) await anonymiseRelation(w.deps, { policy: w.policy('tagme_db'), table: 'check_ins' });
		stop = true;
		await reader;
		expect(seen.length).toBeGreaterThan(4);
		expect([...new Set(seen)]).toEqual([expected]);
	});
});
