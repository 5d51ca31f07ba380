import { runDbt } from '../../../src/dbt/runDbt';
import { readyTarget } from '../../../src/pushback/readyTargets';
import { createPushWorld, uniqueName, type PushWorld } from '../pushback/world';
import { stageLogin, type Login } from '../../harness/loginRole';
import { dbtConfig } from './dbtFixtures';

/**
 * marts.fct_tagme_checkins built by the reference dbt project from what Anonymise writes for tagme_db, and read by
 * the ready-made tagme push-back targets: the contract between dbt and Push Back, checked with both real.
 */
let w: PushWorld;
/** dbt Run's documented login (dwh_transform); the push world's own login reads marts only. */
let dbtLogin: Login;
const H = (u: string) => `hash_${u}`.padEnd(64, '0');
const build = (select: string[]) => runDbt(dbtConfig(dbtLogin.connection), { command: 'build', select });

beforeAll(async () => {
	w = await createPushWorld('dbt_tagme');
	dbtLogin = await stageLogin(w.warehouse.database, 'dwh_transform');
});
afterAll(async () => {
	await dbtLogin?.drop();
	await w?.close();
});

test('before Anonymise has written tagme check-ins the mart is built empty with a warning, and its tests pass', async () => {
	const warnings: string[] = [];
	const out = await runDbt(
		dbtConfig(dbtLogin.connection),
		{ command: 'build', select: ['fct_tagme_checkins'] },
		{ onLog: (l) => l.level === 'warn' && warnings.push(l.message) },
	);
	expect(out.summary.status).toBe('success');
	expect(warnings.join('\n')).toMatch(/fct_tagme_checkins: .*int_tagme_db__check_ins.* does not exist yet/);
	expect((await w.wh.query('SELECT count(*)::int AS n FROM marts.fct_tagme_checkins')).rows[0].n).toBe(0);
});

test('from the anonymised check-ins and places: one row per check-in with the place, feeding tagme.user_summary', async () => {
	// The shapes policies/tagme_db.policy.json produces (hashed users, 0.01° grid; places keep their coordinates).
	await w.wh.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
		CREATE TABLE intermediate.int_tagme_db__points_of_interest (poi_id bigint PRIMARY KEY, name text, category text, city text, province text, lat numeric(9,6), lng numeric(9,6), created_at timestamptz, updated_at timestamptz);
		INSERT INTO intermediate.int_tagme_db__points_of_interest VALUES
			(1, 'Bunny Chow Palace', 'food', 'Durban', 'KwaZulu-Natal', -29.858681, 31.021840, now(), now()),
			(2, 'Soweto Jazz Corner', 'music', 'Soweto', 'Gauteng', -26.267500, 27.858500, now(), now());
		CREATE TABLE intermediate.int_tagme_db__check_ins (check_in_id bigint PRIMARY KEY, user_hash text, poi_id bigint, lat_grid numeric(6,2), lng_grid numeric(6,2), accuracy_m integer, device_hash text, created_at timestamptz)`);
	const rows: Array<[number, string, number, number]> = [
		// id, user, poi, days ago
		[1, 'a1', 1, 1],
		[2, 'a1', 1, 2],
		[3, 'a1', 2, 3],
		[4, 'a1', 1, 20],
		[5, 'a2', 2, 1],
		[6, 'a2', 2, 10],
		[7, 'a3', 99, 5], // a place not (yet) in the snapshot
	];
	for (const [id, u, poi, days] of rows) {
		await w.wh.query(`INSERT INTO intermediate.int_tagme_db__check_ins VALUES ($1, $2, $3, -29.86, 31.02, 12, 'dev', now() - make_interval(days => $4))`, [
			id,
			H(u),
			poi,
			days,
		]);
	}

	const out = await build(['source:intermediate.tagme_check_ins+', 'source:intermediate.tagme_points_of_interest+']);
	expect(out.nodes.filter((n) => !['success', 'pass'].includes(n.status))).toEqual([]);
	expect(out.nodes.map((n) => n.name)).toEqual(
		expect.arrayContaining(['fct_tagme_checkins', 'intermediate_tagme_check_ins_pii_absent', 'intermediate_tagme_points_of_interest_pii_absent']),
	);
	const mart = await w.wh.query(
		`SELECT check_in_id::int AS id, user_hash, poi_id::int AS poi, category, city, province, lat_grid::text AS lat_grid FROM marts.fct_tagme_checkins ORDER BY check_in_id`,
	);
	expect(mart.rows).toHaveLength(7);
	expect(mart.rows[0]).toEqual({ id: 1, user_hash: H('a1'), poi: 1, category: 'food', city: 'Durban', province: 'KwaZulu-Natal', lat_grid: '-29.86' });
	expect(mart.rows[6]).toEqual({ id: 7, user_hash: H('a3'), poi: 99, category: 'unknown', city: null, province: null, lat_grid: '-29.86' });
	// The place's exact coordinates never reach the person-level mart.
	const cols = await w.wh.query(
		`SELECT array_agg(column_name::text ORDER BY column_name) AS c FROM information_schema.columns WHERE table_schema = 'marts' AND table_name = 'fct_tagme_checkins'`,
	);
	expect(cols.rows[0].c).not.toContain('lat');
	expect(cols.rows[0].c).not.toContain('lng');

	// The ready-made push-back target reads the dbt-built mart as it is.
	const c = readyTarget('tagme.user_summary').config;
	const result = await w.push({ ...c, appRole: `${c.appRole}_${uniqueName('t')}` });
	expect(result).toMatchObject({ status: 'pushed', inserted: 3 });
	expect(await w.rows('tagme.user_summary', 'user_hash')).toEqual([
		{ user_hash: H('a1'), checkins_7d: 3, checkins_30d: 4, top_category: 'food', top_city: 'Durban' },
		{ user_hash: H('a2'), checkins_7d: 1, checkins_30d: 2, top_category: 'music', top_city: 'Soweto' },
		{ user_hash: H('a3'), checkins_7d: 1, checkins_30d: 1, top_category: 'unknown', top_city: null },
	]);
});

test('the places PII test allows only the coordinates the policy publishes: an e-mail column still fails it', async () => {
	await w.wh.query(
		`ALTER TABLE intermediate.int_tagme_db__points_of_interest ADD COLUMN owner_email text; UPDATE intermediate.int_tagme_db__points_of_interest SET owner_email = 'owner@example.co.za'`,
	);
	try {
		const out = await runDbt(dbtConfig(dbtLogin.connection), { command: 'test', select: ['source:intermediate.tagme_points_of_interest'] });
		expect(out.summary.status).toBe('failed');
		expect(out.nodes.find((n) => n.name === 'intermediate_tagme_points_of_interest_pii_absent')).toMatchObject({ status: 'fail', failures: 2 });
	} finally {
		await w.wh.query('ALTER TABLE intermediate.int_tagme_db__points_of_interest DROP COLUMN owner_email');
	}
});
