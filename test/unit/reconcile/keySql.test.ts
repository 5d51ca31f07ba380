import { classify } from '../../../src/reconcile/compare';
import { hasNativeOrder, keysInJson, Params, rangePredicate, rowHash, type KeyColumn } from '../../../src/reconcile/keySql';

const id: KeyColumn = { name: 'id', type: 'bigint', nativeOrder: true };
const tenant: KeyColumn = { name: 'tenant', type: 'text', nativeOrder: false };

test('numbers, uuids and timestamps keep their own order; text and user-defined types are ordered as C-collated text', () => {
	expect(hasNativeOrder('bigint', false)).toBe(true);
	expect(hasNativeOrder('numeric(14,2)', false)).toBe(true);
	expect(hasNativeOrder('timestamp(3) with time zone', false)).toBe(true);
	expect(hasNativeOrder('uuid', false)).toBe(true);
	expect(hasNativeOrder('text', false)).toBe(false);
	expect(hasNativeOrder('character varying(20)', false)).toBe(false);
	expect(hasNativeOrder('integer', true)).toBe(false);
});

test('range bounds are parameters, cast to the key type, compared as a row for composite keys', () => {
	const p = new Params();
	expect(rangePredicate([tenant, id], { lo: ['a', '1'], hi: ['b', '2'] }, p)).toBe(
		'ROW(("tenant"::text COLLATE "C"), "id") >= ROW(($1::text COLLATE "C"), $2::bigint) AND ROW(("tenant"::text COLLATE "C"), "id") < ROW(($3::text COLLATE "C"), $4::bigint)',
	);
	expect(p.values).toEqual(['a', '1', 'b', '2']);
	expect(rangePredicate([id], { lo: null, hi: null }, new Params())).toBe('true');
	expect(rangePredicate([id], { lo: null, hi: ['7'] }, new Params())).toBe('"id" < $1::bigint');
});

test('the row hash covers the key values and the watermark, and no value is written into the SQL text', () => {
	expect(rowHash([id], 'updated_at')).toBe(`hashtextextended(concat_ws('|', "id"::text, extract(epoch FROM "updated_at")::text) COLLATE "C", 0)`);
	// A text key may contain the separator: its values are quoted as an array literal.
	expect(rowHash([tenant, id], 'updated_at')).toBe(
		`hashtextextended(ARRAY["tenant"::text, "id"::text, extract(epoch FROM "updated_at")::text]::text COLLATE "C", 0)`,
	);
	expect(keysInJson([tenant, id], '$1::json')).toBe('("tenant", "id") IN (SELECT (x->>0)::text, (x->>1)::bigint FROM json_array_elements($1::json) x)');
});

test('classify: missing, extra, stale; a key stamped after the compared bound on either side is no difference', () => {
	const row = (k: string, w: string | null, comparable = true) => ({ key: [k], watermark: w, comparable });
	const { differences, changed } = classify(
		[row('1', '10'), row('2', '20'), row('4', '40'), row('5', '99', false), row('6', '60')],
		[row('2', '20'), row('3', '30'), row('4', '39'), row('5', '50'), row('6', '60', false)],
	);
	expect(differences).toEqual([
		{ key: ['1'], kind: 'missing_in_bronze' },
		{ key: ['4'], kind: 'stale_in_bronze' },
		{ key: ['3'], kind: 'extra_in_bronze' },
	]);
	expect(changed).toBe(2);
});
