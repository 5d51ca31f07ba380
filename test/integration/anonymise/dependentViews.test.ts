import { parsePolicyText } from '../../../src/anonymise/policyLoader';
import { anonymiseRelation, type AnonymiseDeps } from '../../../src/anonymise/runner';
import { enrichRelation } from '../../../src/enrich/enrichRelation';
import { stageLogin, type Login } from '../../harness/loginRole';
import { testEnv } from '../../harness/testEnv';
import { createAnonWorld, loadSyntheticPii, type AnonWorld } from './world';

/**
 * Publishing a rebuilt table (full Anonymise builds, Enrich Relation) replaces the relation; views that read it —
 * the demo's Enrich step creates one — must survive. Anonymise runs as its documented login (dwh_compliance),
 * Enrich and the views as Enrich's (dwh_etl), as in production (docs/security.md).
 */
let w: AnonWorld;
let etl: Login;
let deps: AnonymiseDeps;

const CHECK_INS = 'intermediate.int_tagme_db__check_ins';

beforeAll(async () => {
	w = await createAnonWorld('anon_views');
	await loadSyntheticPii(w.wh, 40);
	// Bronze tables are created by the ETL login in production.
	const { rows } = await w.wh.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'raw'`);
	for (const { t } of rows) await w.wh.query(`ALTER TABLE raw.${t} OWNER TO dwh_owner`);
	etl = await stageLogin(w.whConn.database, 'dwh_etl');
	deps = w.deps;
	await anonymiseRelation(deps, { policy: w.policy('tagme_db'), table: 'check_ins', asOf: '2026-11-25' });
	await anonymiseRelation(deps, { policy: w.policy('auth_db'), table: 'users', asOf: '2026-11-25' });
});
afterAll(async () => {
	await etl?.drop();
	await w?.close();
});

const rebuildCheckIns = (policy = w.policy('tagme_db')) => anonymiseRelation(deps, { policy, table: 'check_ins', asOf: '2026-11-25' });

/** What a DBA would notice if a rebuild lost it: definition, owner, grants, options, comments, matview indexes. */
async function catalogOf(names: string[]) {
	const { rows } = await w.wh.query(
		`SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) AS owner, c.relacl::text AS acl, c.reloptions, c.relispopulated,
		        CASE WHEN c.relkind IN ('v', 'm') THEN obj_description(c.oid, 'pg_class') END AS comment,
		        CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END AS def,
		        array(SELECT a.attname || '=' || col_description(c.oid, a.attnum) FROM pg_attribute a WHERE a.attrelid = c.oid AND col_description(c.oid, a.attnum) IS NOT NULL) AS col_comments,
		        array(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid) AS indexes
		   FROM pg_class c WHERE c.relnamespace = 'intermediate'::regnamespace AND c.relname = ANY($1) ORDER BY c.relname`,
		[names],
	);
	return rows;
}

const count = async (sql: string) => Number((await w.wh.query<{ n: string }>(sql)).rows[0].n);

describe('a full rebuild keeps the views that read the published table', () => {
	const names = ['mv_checkins_by_band', 'v_checkins_by_band', 'v_checkins_per_user'];

	beforeAll(async () => {
		await etl.pool.query(`
			CREATE VIEW intermediate.v_checkins_per_user AS
			  SELECT c.user_hash, u.age_band, count(*) AS check_ins FROM ${CHECK_INS} c JOIN intermediate.int_auth_db__users u USING (user_hash) GROUP BY 1, 2;
			CREATE VIEW intermediate.v_checkins_by_band WITH (security_barrier = true) AS
			  SELECT age_band, sum(check_ins)::bigint AS check_ins FROM intermediate.v_checkins_per_user GROUP BY 1;
			CREATE MATERIALIZED VIEW intermediate.mv_checkins_by_band AS SELECT * FROM intermediate.v_checkins_by_band;
			CREATE UNIQUE INDEX mv_checkins_by_band_key ON intermediate.mv_checkins_by_band (age_band);
			GRANT SELECT ON intermediate.v_checkins_by_band TO dwh_readonly;
			GRANT SELECT (age_band) ON intermediate.mv_checkins_by_band TO dwh_readonly;
			COMMENT ON VIEW intermediate.v_checkins_by_band IS 'check-ins per age band, for the dashboards';
			COMMENT ON COLUMN intermediate.v_checkins_by_band.check_ins IS 'number of check-ins';`);
	});

	test('rows deleted from bronze leave the view on a view and the materialized view; definitions, owner, grants and comments are unchanged', async () => {
		const before = await catalogOf([...names, 'int_tagme_db__check_ins']);
		expect(before.map((r) => [r.relname, r.owner])).toEqual([
			['int_tagme_db__check_ins', 'dwh_compliance'],
			['mv_checkins_by_band', 'dwh_etl'],
			['v_checkins_by_band', 'dwh_etl'],
			['v_checkins_per_user', 'dwh_etl'],
		]);
		expect(await count(`SELECT sum(check_ins) AS n FROM intermediate.v_checkins_by_band`)).toBe(80);

		// User 7 has check-ins 6 and 46 (user_id = 1 + i % 40).
		expect((await w.wh.query(`DELETE FROM raw.tagme_db__check_ins WHERE user_id = 7`)).rowCount).toBe(2);
		const logged: string[] = [];
		const r = await anonymiseRelation({ ...deps, log: (m) => logged.push(m) }, { policy: w.policy('tagme_db'), table: 'check_ins', asOf: '2026-11-25' });
		expect(r.rowsOut).toBe(78);
		expect(logged).toContain(
			`anonymise: ${CHECK_INS} — recreated the views that read it: intermediate.v_checkins_per_user, intermediate.v_checkins_by_band, intermediate.mv_checkins_by_band`,
		);

		// The table's grant to the view's owner carried over too (without it the view could not read the new table).
		expect(await catalogOf([...names, 'int_tagme_db__check_ins'])).toEqual(before);
		expect(await count(`SELECT sum(check_ins) AS n FROM intermediate.v_checkins_by_band`)).toBe(78);
		expect(await count(`SELECT sum(check_ins) AS n FROM intermediate.mv_checkins_by_band`)).toBe(78);
		const { rows: leftovers } = await w.wh.query(
			`SELECT relname FROM pg_class WHERE relnamespace = 'intermediate'::regnamespace AND relname LIKE '%\\_\\_build\\_%'`,
		);
		expect(leftovers).toEqual([]);
	});

	test('a rebuild of the other table the view reads recreates the same chain', async () => {
		const before = await catalogOf(names);
		await anonymiseRelation(deps, { policy: w.policy('auth_db'), table: 'users', asOf: '2026-11-25' });
		expect(await catalogOf(names)).toEqual(before);
		expect(await count(`SELECT count(*) AS n FROM intermediate.v_checkins_per_user`)).toBe(39);
	});

	test('a view the rebuilt table no longer fits stops the publish, naming the view; the old table and every view stay', async () => {
		await etl.pool.query(`CREATE VIEW intermediate.v_poi AS SELECT poi_id, count(*) AS n FROM ${CHECK_INS} GROUP BY 1`);
		const loaded = w.policy('tagme_db');
		const changed = structuredClone(loaded.policy) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
		changed.version = `${changed.version}-no-poi`;
		changed.tables.find((t: { table: string }) => t.table === 'check_ins').columns.poi_id = 'suppress';
		const err = await rebuildCheckIns(parsePolicyText(JSON.stringify(changed), 'test')).catch((e) => e);
		expect(err.name).toBe('DependentViewError');
		expect(err.message).toContain(
			`Cannot publish ${CHECK_INS}: view intermediate.v_poi reads it and does not fit the rebuilt table (column "poi_id" does not exist)`,
		);
		expect(err.message).toContain('The previous table is still published.');
		const { rows } = await w.wh.query(`SELECT status, error_message FROM dwh_control.anonymise_runs ORDER BY run_id DESC LIMIT 1`);
		expect(rows[0].status).toBe('failed');
		expect(rows[0].error_message).toContain('view intermediate.v_poi reads it');
		expect(await count(`SELECT sum(n) AS n FROM intermediate.v_poi`)).toBe(78);
		expect(await count(`SELECT sum(check_ins) AS n FROM intermediate.mv_checkins_by_band`)).toBe(78);
		await etl.pool.query(`DROP VIEW intermediate.v_poi`);
	});

	test('a view owned by a role the login cannot act as stops the publish before anything is dropped', async () => {
		const su = testEnv().postgres.user;
		await w.wh.query(`CREATE VIEW intermediate.v_admin AS SELECT count(*) AS n FROM ${CHECK_INS}`);
		const err = await rebuildCheckIns().catch((e) => e);
		expect(err.message).toBe(
			`Cannot publish ${CHECK_INS}: intermediate.v_admin is owned by ${su}, which dwh_compliance is not a member of — have it owned by a role dwh_compliance belongs to (ALTER VIEW … OWNER TO), or GRANT ${su} TO dwh_compliance. The previous table is still published.`,
		);
		expect(await count(`SELECT n FROM intermediate.v_admin`)).toBe(78);
		await w.wh.query(`ALTER VIEW intermediate.v_admin OWNER TO dwh_etl`);
		await rebuildCheckIns();
		expect(await count(`SELECT n FROM intermediate.v_admin`)).toBe(78);
		expect((await catalogOf(['v_admin']))[0].owner).toBe('dwh_etl');
		await w.wh.query(`DROP VIEW intermediate.v_admin`);
	});
});

describe('Enrich Relation and Anonymise rebuilds with the demo chain (view → enr_* table → views)', () => {
	test('the enriched table and the anonymised table under its source view both rebuild', async () => {
		await etl.pool.query(`CREATE VIEW intermediate.enr_app_events_src AS SELECT user_hash, created_at AS event_time, 'tagme' AS app FROM ${CHECK_INS}`);
		const enrich = () =>
			enrichRelation(etl.pool, {
				source: 'intermediate.enr_app_events_src',
				target: 'intermediate.enr_app_events',
				families: { temporal: { timestampColumn: 'event_time' } },
			});
		expect((await enrich()).rows).toBe(78);
		await etl.pool.query(`
			CREATE VIEW intermediate.v_events_per_day AS SELECT day_of_week, count(*) AS n FROM intermediate.enr_app_events GROUP BY 1;
			CREATE VIEW intermediate.v_events_total AS SELECT sum(n)::bigint AS n FROM intermediate.v_events_per_day;
			GRANT SELECT ON intermediate.v_events_total TO dwh_readonly;`);
		const before = await catalogOf(['enr_app_events_src', 'v_events_per_day', 'v_events_total']);

		// The failure of the issue: a full rebuild of a table the demo's Enrich step reads through a view.
		expect((await w.wh.query(`DELETE FROM raw.tagme_db__check_ins WHERE user_id = 8`)).rowCount).toBe(2);
		expect((await rebuildCheckIns()).rowsOut).toBe(76);
		expect((await enrich()).rows).toBe(76);

		expect(await catalogOf(['enr_app_events_src', 'v_events_per_day', 'v_events_total'])).toEqual(before);
		expect(await count(`SELECT n FROM intermediate.v_events_total`)).toBe(76);
		expect(await count(`SELECT count(*) AS n FROM intermediate.enr_app_events_src`)).toBe(76);
	});
});
