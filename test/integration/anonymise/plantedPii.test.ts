import pg from 'pg';
import { ItemsPiiBlockedError } from '../../../src/anonymise/itemGate';
import { anonymiseItemsWithRunLog } from '../../../src/anonymise/itemRun';
import { anonymiseRelation, anonymiseTablesAtomically, PiiCheckFailedError } from '../../../src/anonymise/runner';
import { incremental, registerTable } from '../../harness/registerTable';
import { isCardPan, isSouthAfricanIdNumber } from '../../../src/privacy/detectors';
import { createAnonWorld, loadDemoSources, type AnonWorld } from './world';

/**
 * The outside privacy check, run by us first: PII in many disguises planted in every text column (kept and free
 * text) of every demo source table, Anonymise run as its documented login (incremental, set and item mode), and then every
 * text column of every relation outside raw and the sources searched for each planted value and its normalised forms.
 * Each build either publishes nothing planted or is blocked, and no run log, alert or error text carries a value.
 *
 * Not covered here (docs/anonymise.md "Planted-PII audit"): Enrich, dbt and Push Back downstream of the planted
 * build; the set build publishing nothing planted is what they read.
 */
let w: AnonWorld;

/** Distinctive values (no demo generator produces them), each written several ways. */
const DISGUISES = [
	'ZKHUMALO7731@EXAMPLE.CO.ZA',
	'zkhumalo7731 @ example . co . za',
	'write to zkhumalo7731 [at] example [dot] co [dot] za today',
	'+27 82 765 4321',
	'call 082 765 4321 after 5',
	'0827654321',
	'082-765-4321',
	'(082) 765 4321',
	'8001015009087',
	'ID 800101 5009 087 verified',
	'acc no 62112345678',
	'zkhumalo7731 at example dot com',
	'Paid to Thabo Mokoena for rent',
	'MOKOENA, Thabo',
	'ref Mr T Mokoena',
	'12 Vilakazi Street, Orlando West',
	'card 4539 1488 0343 6467 declined',
	'4539148803436467',
];
/** What is searched for, lower case: each planted value's identifying core and its digits-only form. */
const NEEDLES = {
	text: ['zkhumalo7731', 'thabo mokoena', 'mokoena, thabo', 'mr t mokoena', 'vilakazi street'],
	digits: ['827654321', '8001015009087', '62112345678', '4539148803436467'],
};

/** Raw table → its unbounded text columns, each of which gets the disguise under test. */
const planted = new Map<string, string[]>();

async function textColumns(
	db: pg.Pool,
	schemaFilter: string,
	types = ['text', 'character varying', 'json', 'jsonb', 'text[]'],
): Promise<{ schema: string; rel: string; column: string }[]> {
	const { rows } = await db.query(
		`SELECT n.nspname AS schema, c.relname AS rel, a.attname AS column
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE c.relkind IN ('r', 'p', 'm', 'v') AND a.attnum > 0 AND NOT a.attisdropped
		    AND format_type(a.atttypid, a.atttypmod) = ANY($1)
		    AND ${schemaFilter}
		  ORDER BY 1, 2, a.attnum`,
		[types],
	);
	return rows;
}

/** Every place outside raw and the seeded sources where a planted value (or its normalised form) is found. */
async function findings(): Promise<string[]> {
	const cols = await textColumns(
		w.wh,
		`n.nspname NOT IN ('raw', 'pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'src\\_%' AND n.nspname NOT LIKE 'pg\\_%'`,
	);
	const out: string[] = [];
	for (const c of cols) {
		const col = `${pg.escapeIdentifier(c.column)}::text`;
		const { rows } = await w.wh.query(
			`SELECT count(*)::int AS n FROM ${pg.escapeIdentifier(c.schema)}.${pg.escapeIdentifier(c.rel)}
			  WHERE lower(${col}) LIKE ANY($1) OR regexp_replace(${col}, '\\D', '', 'g') LIKE ANY($2)`,
			[NEEDLES.text.map((n) => `%${n}%`), NEEDLES.digits.map((n) => `%${n}%`)],
		);
		if (rows[0].n) out.push(`${c.schema}.${c.rel}.${c.column}: ${rows[0].n}`);
	}
	return out;
}

const carriesPlanted = (text: string) => {
	const lower = text.toLowerCase();
	const digits = text.replace(/\D/g, '');
	return NEEDLES.text.some((n) => lower.includes(n)) || NEEDLES.digits.some((n) => digits.includes(n));
};

beforeAll(async () => {
	expect(isCardPan('4539148803436467')).toBe(true);
	expect(isSouthAfricanIdNumber('8001015009087')).toBe(true);
	w = await createAnonWorld('anon_planted');
	await loadDemoSources(w, 120);
	// Unbounded text only: a bounded column (char(13)) could not hold the disguise, as in the source.
	const cols = await textColumns(w.wh, `n.nspname = 'raw' AND a.attname NOT LIKE '\\_dwh\\_%' AND c.relkind IN ('r', 'p')`, ['text', 'character varying']);
	for (const c of cols) planted.set(c.rel, [...(planted.get(c.rel) ?? []), c.column]);
	expect(planted.size).toBeGreaterThan(20);
}, 600_000);
afterAll(async () => w?.close());

/** The disguise goes into every text column of the first two rows of every raw table (kept and free-text alike). */
async function plant(value: string): Promise<void> {
	for (const [rel, columns] of planted) {
		const t = `raw.${pg.escapeIdentifier(rel)}`;
		await w.wh.query(
			`UPDATE ${t} SET ${columns.map((c) => `${pg.escapeIdentifier(c)} = $1`).join(', ')} WHERE ctid IN (SELECT ctid FROM ${t} ORDER BY ctid LIMIT 2)`,
			[value],
		);
	}
}

function* policyTables() {
	for (const loaded of w.policies.values()) {
		for (const table of loaded.policy.tables) {
			const rel = `${loaded.policy.source_db}__${table.table}`;
			if (planted.has(rel)) yield { loaded, table, rel };
		}
	}
}

// Runs first, while raw is clean: the first incremental request is the full build, then each disguise arrives as a
// load (a new _dwh_run_id) in a kept column and the incremental build must stop it.
test('incremental build, as the compliance login: each disguise arriving in a kept column (home_city) is blocked', async () => {
	await registerTable(w.wh, 'auth_db', incremental('upsert', 'users', 'updated_at', '15 minutes'));
	const build = () => anonymiseRelation(w.deps, { policy: w.policy('auth_db'), table: 'users', asOf: '2026-12-01', build: 'incremental' });
	expect(await build()).toMatchObject({ build: 'full' });
	const { rows } = await w.wh.query(`SELECT id, home_city FROM raw.auth_db__users ORDER BY id LIMIT 1`);
	let run = 100;
	for (const disguise of DISGUISES) {
		await w.wh.query(`UPDATE raw.auth_db__users SET home_city = $1, _dwh_run_id = $2 WHERE id = $3`, [disguise, ++run, rows[0].id]);
		const err = await build().then(
			(r) => r,
			(e: unknown) => e as Error,
		);
		expect({ disguise, blocked: err instanceof PiiCheckFailedError }).toEqual({ disguise, blocked: true });
		expect(carriesPlanted(`${(err as Error).message} ${(err as Error).stack}`)).toBe(false);
	}
	const { rows: log } = await w.wh.query(
		`SELECT count(*)::int AS n FROM dwh_control.anonymise_runs WHERE source_table = 'users' AND status = 'blocked' AND coalesce(build_note, '') NOT LIKE 'full%'`,
	);
	expect(log[0].n).toBe(DISGUISES.length);
	expect(await findings()).toEqual([]);
	await w.wh.query(`UPDATE raw.auth_db__users SET home_city = $1, _dwh_run_id = $2 WHERE id = $3`, [rows[0].home_city, ++run, rows[0].id]);
}, 300_000);

// One disguise at a time, so a detected one cannot hide an undetected one by blocking the same build.
test.each(DISGUISES)(
	'%p: set and item mode as the compliance login publish nothing planted, or are blocked with clean error text',
	async (disguise) => {
		await plant(disguise);
		let blocked = 0;
		for (const { loaded, table, rel } of policyTables()) {
			const built = await anonymiseTablesAtomically(w.deps, [{ loaded, table }], { mode: 'set' }).then(
				() => null,
				(e: unknown) => e as Error,
			);
			if (built instanceof PiiCheckFailedError) blocked++;
			else expect({ rel, error: built?.message }).toEqual({ rel, error: undefined });
			if (built) expect({ rel, leaks: carriesPlanted(`${built.message} ${built.stack}`) }).toEqual({ rel, leaks: false });
			// The planted rows (an UPDATE moves them, so find them by value) and one untouched row.
			const { rows } = await w.wh.query(
				`(SELECT * FROM raw.${pg.escapeIdentifier(rel)} WHERE ${pg.escapeIdentifier(
					planted.get(rel)![0],
				)} = $1) UNION ALL (SELECT * FROM raw.${pg.escapeIdentifier(rel)} WHERE ${pg.escapeIdentifier(planted.get(rel)![0])} IS DISTINCT FROM $1 LIMIT 1)`,
				[disguise],
			);
			expect(rows.length).toBe(3);
			const items = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith('_dwh_'))));
			const out = await anonymiseItemsWithRunLog(w.deps, loaded, table, '2026-12-01', items as never).then(
				(r) => r,
				(e: unknown) => e as Error,
			);
			if (out instanceof ItemsPiiBlockedError) blocked++;
			else expect({ rel, error: out instanceof Error ? out.message : undefined }).toEqual({ rel, error: undefined });
			const text = out instanceof Error ? `${out.message} ${out.stack}` : JSON.stringify(out.rows);
			expect({ rel, items: carriesPlanted(text) }).toEqual({ rel, items: false });
		}
		// Kept text columns (home_city, merchant_name, reason, tag, ...) must have stopped something.
		expect(blocked).toBeGreaterThan(0);
		// Outputs, run logs (anonymise_runs: error_message, pii_findings), alert views: nothing planted anywhere.
		expect(await findings()).toEqual([]);
	},
	300_000,
);
