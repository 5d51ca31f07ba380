import { sourceTableSchema } from '../../src/config/registry.schema';
import { buildMergeSql } from '../../src/load/mergeSql';

const entry = (over: object) => ({
	...sourceTableSchema.parse({
		source_db: 'ledger_db',
		source_table: 'transactions',
		mode: 'incremental',
		load_strategy: 'append',
		watermark_column: 'created_at',
		key_columns: ['id'],
		cadence: '5 minutes',
		...over,
	}),
	table_name: 'ledger_db__transactions',
});

test('append never updates existing rows', () => {
	const sql = buildMergeSql(entry({}), ['id', 'amount', 'created_at'], 7);
	expect(sql.upsert).toContain('ON CONFLICT ("id") DO NOTHING');
	expect(sql.upsert).toContain('SELECT "id", "amount", "created_at", 7 FROM (SELECT DISTINCT ON ("id")');
	expect(sql.deleteMissing).toBeNull();
});

test('upsert lets the later run win, and only where the row changed', () => {
	const sql = buildMergeSql(entry({ load_strategy: 'upsert', watermark_column: 'updated_at' }), ['id', 'email', 'updated_at'], 7);
	expect(sql.upsert).toContain(
		'WHERE EXCLUDED._dwh_run_id > b._dwh_run_id AND (b."email"::text, b."updated_at"::text) IS DISTINCT FROM (EXCLUDED."email"::text, EXCLUDED."updated_at"::text)',
	);
	expect(sql.upsert).toContain('ORDER BY "id", "updated_at" DESC NULLS LAST');
	// The oldest stamp among changed rows, as timestamptz (a zoned timestamp column through its zone).
	expect(sql.upsert).toContain('RETURNING (xmax = 0) AS inserted, b."updated_at"::timestamptz AS stamp)');
	expect(sql.upsert).toContain('min(stamp)::text AS oldest FROM m');
	expect(
		buildMergeSql(entry({ load_strategy: 'upsert', watermark_column: 'updated_at' }), ['id', 'email', 'updated_at'], 7, 'America/Bogota').upsert,
	).toContain(`(b."updated_at" AT TIME ZONE 'America/Bogota') AS stamp`);
	expect(buildMergeSql(entry({ load_strategy: 'replace', mode: 'snapshot', watermark_column: null }), ['id', 'email'], 7).upsert).toContain(
		'NULL::timestamptz AS stamp',
	);
	expect(sql.sameStampChanges).toContain('WHERE s."updated_at" <= $1::timestamptz');
	expect(
		buildMergeSql(entry({ load_strategy: 'upsert', watermark_column: 'updated_at' }), ['id', 'email', 'updated_at'], 7, 'America/Bogota').sameStampChanges,
	).toContain(`WHERE s."updated_at" <= ($1::timestamptz AT TIME ZONE 'America/Bogota')`);
	expect(sql.sameStampChanges).toContain(
		'AND b."updated_at" = s."updated_at" AND (b."email"::text, b."updated_at"::text) IS DISTINCT FROM (s."email"::text, s."updated_at"::text)',
	);
	expect(sql.upsert).not.toContain('"id" = EXCLUDED."id"');
});

test('replace updates changed rows and deletes vanished keys', () => {
	const sql = buildMergeSql(
		entry({ mode: 'snapshot', load_strategy: 'replace', watermark_column: null, key_columns: ['app', 'code'] }),
		['app', 'code', 'name'],
		3,
	);
	expect(sql.upsert).toContain('WHERE (b."name"::text) IS DISTINCT FROM (EXCLUDED."name"::text)');
	expect(sql.deleteMissing).toContain('s."app" = b."app" AND s."code" = b."code"');
	expect(sql.sameStampChanges).toBeNull();
});

test('identifiers are always quoted', () => {
	const sql = buildMergeSql(entry({}), ['id', 'Weird"Name'], 1);
	expect(sql.upsert).toContain('"Weird""Name"');
});
