import { escapeIdentifier as q } from 'pg';

/**
 * SQL text for comparing one side of a reconcile (the source table, or its bronze copy) by key ranges. Every name here
 * comes from the registry (validated identifiers) or the catalog (format_type); values only ever travel as bound
 * parameters.
 */

/** A key column as one side stores it. */
export interface KeyColumn {
	name: string;
	/** format_type on this side (bronze stores user-defined source types as text). */
	type: string;
	/**
	 * True when both servers order the type the same way whatever their collation: numbers, uuid, dates, timestamps,
	 * boolean. Any other key (text, enums, …) is ordered by its text in the "C" collation on both sides, so a range
	 * holds the same keys on the source and in bronze even when the servers' collations differ.
	 */
	nativeOrder: boolean;
}

const NATIVE_ORDER =
	/^(smallint|integer|bigint|numeric(\(\d+(,\s*-?\d+)?\))?|real|double precision|uuid|date|boolean|timestamp(\(\d\))? with(out)? time zone)$/;

export function hasNativeOrder(sourceType: string, userDefined: boolean): boolean {
	return !userDefined && NATIVE_ORDER.test(sourceType);
}

/** A key tuple as text, in key_columns order (the text output of each value). */
export type KeyTuple = string[];

/** Lower bound inclusive, upper bound exclusive; null = unbounded. */
export interface KeyRange {
	lo: KeyTuple | null;
	hi: KeyTuple | null;
}

/** Collects bound parameters and hands out their $n placeholders. */
export class Params {
	readonly values: unknown[] = [];
	add(value: unknown): string {
		this.values.push(value);
		return `$${this.values.length}`;
	}
}

export function sortExpression(k: KeyColumn): string {
	return k.nativeOrder ? q(k.name) : `(${q(k.name)}::text COLLATE "C")`;
}

function boundExpression(k: KeyColumn, placeholder: string): string {
	return k.nativeOrder ? `${placeholder}::${k.type}` : `(${placeholder}::text COLLATE "C")`;
}

function tuple(parts: string[]): string {
	return parts.length === 1 ? parts[0] : `ROW(${parts.join(', ')})`;
}

export function sortTuple(keys: KeyColumn[]): string {
	return tuple(keys.map(sortExpression));
}

/** `(k) >= (lo) AND (k) < (hi)` on the sort order; `true` for the unbounded range. */
export function rangePredicate(keys: KeyColumn[], r: KeyRange, p: Params): string {
	const parts: string[] = [];
	const bound = (t: KeyTuple) => tuple(keys.map((k, i) => boundExpression(k, p.add(t[i]))));
	if (r.lo) parts.push(`${sortTuple(keys)} >= ${bound(r.lo)}`);
	if (r.hi) parts.push(`${sortTuple(keys)} < ${bound(r.hi)}`);
	return parts.length ? parts.join(' AND ') : 'true';
}

/** The key as a text[] in key_columns order. */
export function keyText(keys: KeyColumn[]): string {
	return `ARRAY[${keys.map((k) => `${q(k.name)}::text`).join(', ')}]`;
}

/**
 * The watermark as exact text that does not depend on the session's TimeZone or DateStyle: seconds since the epoch with
 * microseconds (numeric since PostgreSQL 14). For a `timestamp without time zone` column both sides hold the same local
 * value, so the same expression compares them.
 */
export function watermarkText(watermarkColumn: string): string {
	return `extract(epoch FROM ${q(watermarkColumn)})::text`;
}

/**
 * One row's contribution to a range's checksum: a 64-bit hash of (key values, watermark value). Sums are
 * order-independent, so each server aggregates its own rows in whatever order it reads them; sum(bigint) is numeric,
 * so it never overflows. hashtextextended is the hash PostgreSQL keeps stable across major versions (hash
 * partitioning depends on it) and about three times cheaper than md5; it hashes the text's bytes, so both servers must
 * share byte order and encoding — checked once per reconcile (HASH_PROBE). Keys of numbers, uuids, dates and timestamps
 * cannot contain the separator; any other key is hashed as an array literal, which quotes its elements.
 */
export function rowHash(keys: KeyColumn[], watermarkColumn: string): string {
	const parts = [...keys.map((k) => `${q(k.name)}::text`), watermarkText(watermarkColumn)];
	const text = keys.every((k) => k.nativeOrder) ? `concat_ws('|', ${parts.join(', ')})` : `ARRAY[${parts.join(', ')}]::text`;
	return `hashtextextended(${text} COLLATE "C", 0)`;
}

/** Both servers must give this the same value for their row hashes to be comparable. */
export const HASH_PROBE = `SELECT hashtextextended('DataAcuity reconcile ✓ 2026' COLLATE "C", 0)::text AS h`;

/**
 * `(k1, k2) IN (…)` for a list of key tuples passed as one JSON parameter (an array of text arrays): the statement
 * text stays the same however many keys, and no key value is written into SQL text (or a server log line of it).
 */
export function keysInJson(keys: Pick<KeyColumn, 'name' | 'type'>[], jsonExpression: string): string {
	const cols = keys.map((k) => q(k.name));
	const casts = keys.map((k, i) => `(x->>${i})::${k.type}`);
	return `(${cols.join(', ')}) IN (SELECT ${casts.join(', ')} FROM json_array_elements(${jsonExpression}) x)`;
}
