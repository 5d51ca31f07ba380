import pg from 'pg';
import { inputRelation } from '../../../src/anonymise/policy.schema';
import { anonymiseTablesAtomically, PiiCheckFailedError } from '../../../src/anonymise/runner';
import { detectPii } from '../../../src/privacy/detectors';
import { SYNTHETIC_SOURCES } from '../../../scripts/demo/synthetic';
import { createAnonWorld, loadDemoSources, type AnonWorld } from './world';

/**
 * The policies against the demo's synthetic sources (the closest thing to the real schemas in this repository):
 * each source is generated into its own schema, copied to raw.<db>__<table> minus the registry's excluded columns
 * (as the extract would), and every policy table must publish with nothing a detector recognises.
 */
let w: AnonWorld;

beforeAll(async () => {
	w = await createAnonWorld('anon_demo_sources');
	await loadDemoSources(w);
});
afterAll(async () => w?.close());

test.each(SYNTHETIC_SOURCES.map((s) => s.db))('the %s policy covers every table of the synthetic source and publishes no PII', async (db) => {
	const loaded = w.policy(db);
	const { rows: raw } = await w.wh.query<{ t: string }>(`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'raw' AND tablename LIKE $1`, [
		`${db}\\_\\_%`,
	]);
	const covered = loaded.policy.tables.map((t) => inputRelation(db, t).table);
	expect(raw.map((r) => r.t).sort()).toEqual(covered.sort());

	const results = await anonymiseTablesAtomically(
		w.deps,
		loaded.policy.tables.map((table) => ({ loaded, table })),
		{ mode: 'set' },
	);
	for (const r of results) {
		expect(r.rowsOut).toBe(r.rowsIn);
		expect(r.rowsOut).toBeGreaterThan(0);
		const { rows } = await w.wh.query({ text: `SELECT * FROM ${r.outputRelation}`, rowMode: 'array' });
		const allowed = new Set(loaded.policy.tables.find((t) => t.table === r.table)!.pii_check.allow_columns);
		const { fields } = await w.wh.query(`SELECT * FROM ${r.outputRelation} LIMIT 0`);
		const hits: string[] = [];
		for (const row of rows as unknown[][]) {
			row.forEach((v, i) => {
				if (v !== null && !allowed.has(fields[i].name) && detectPii(String(v)).length) hits.push(`${r.outputRelation}.${fields[i].name}`);
			});
		}
		expect([...new Set(hits)]).toEqual([]);
	}
});

/**
 * Issue 12: a name and a street address planted in columns the demo policies keep as they are (home_city, a POI's
 * name, merchant_name, user_locations.source, account_type) must stop the build — run as Anonymise's documented
 * login (w.deps: a member of dwh_compliance), not a superuser — with the finding naming table, column and detector,
 * and the previously published table unchanged.
 */
describe('a name and a street address planted in kept columns', () => {
	const PLANTED = 'Thabo Mokoena, 12 Vilakazi Street, Orlando West';

	test.each([
		['auth_db', 'users', 'home_city'],
		['tagme_db', 'points_of_interest', 'name'],
		['ledger_db', 'transactions', 'merchant_name'],
		['tagme_db', 'user_locations', 'source'],
		['ledger_db', 'accounts', 'account_type'],
	])('%s.%s.%s: the build is blocked and nothing is published', async (db, table, column) => {
		const loaded = w.policy(db);
		const job = { loaded, table: loaded.policy.tables.find((t) => t.table === table)! };
		await anonymiseTablesAtomically(w.deps, [job], { mode: 'set' });
		const output = `intermediate.int_${db}__${table}`;
		const before = (await w.wh.query(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*)::int AS n FROM ${output} t`)).rows[0];

		const raw = `raw.${db}__${table}`;
		await w.wh.query(`UPDATE ${raw} SET ${pg.escapeIdentifier(column)} = $1 WHERE ctid IN (SELECT ctid FROM ${raw} LIMIT 2)`, [PLANTED]);
		const err = await anonymiseTablesAtomically(w.deps, [job], { mode: 'set' }).then(
			() => null,
			(e: unknown) => e,
		);
		expect(err).toBeInstanceOf(PiiCheckFailedError);
		const message = (err as Error).message;
		expect(message).toContain(`${output}.${column}: person_name in 2 sampled values`);
		expect(message).toContain(`${output}.${column}: street_address in 2 sampled values`);
		expect(message).toMatch(/\(read all \d+ rows\)/);
		expect(message).not.toContain('Mokoena');
		expect(message).not.toContain('Vilakazi');

		const after = (await w.wh.query(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*)::int AS n FROM ${output} t`)).rows[0];
		expect(after).toEqual(before);
		const { rows: run } = await w.wh.query(
			`SELECT status, error_message, pii_findings::text AS f FROM dwh_control.anonymise_runs WHERE source_db = $1 AND source_table = $2 ORDER BY run_id DESC LIMIT 1`,
			[db, table],
		);
		expect(run[0].status).toBe('blocked');
		expect(run[0].f).toContain('"detector": "person_name"');
		expect(`${run[0].error_message ?? ''}${run[0].f}`).not.toContain('Mokoena');
	});
});
