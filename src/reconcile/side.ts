import type pg from 'pg';
import { escapeIdentifier as q } from 'pg';
import {
	HASH_PROBE,
	keysInJson,
	keyText,
	Params,
	rangePredicate,
	rowHash,
	sortExpression,
	watermarkText,
	type KeyColumn,
	type KeyRange,
	type KeyTuple,
} from './keySql';

export interface RangeAggregate {
	rows: number;
	/** Sum of the rows' 64-bit hashes, as numeric text. */
	hash: string;
}

export interface KeyedRow {
	key: KeyTuple;
	/** Watermark as epoch text; null when the row has none. */
	watermark: string | null;
	/** False when the row is stamped after the compared bound (changed since the loaded watermark). */
	comparable: boolean;
}

/**
 * One side of a reconcile: the source table on the replica or its bronze copy in the warehouse. Every method is one
 * autocommit statement bounded by a key range (or a key list), so the replica never holds a snapshot longer than one
 * range takes, and the credential's statement_timeout applies to each.
 */
export class Side {
	/** Rows the server read to answer this side's statements (aggregated, walked or fetched). */
	rowsRead = 0;
	statements = 0;

	constructor(
		readonly name: 'source' | 'bronze',
		private readonly pool: pg.Pool,
		/** Qualified, quoted relation. */
		private readonly from: string,
		readonly keys: KeyColumn[],
		private readonly watermarkColumn: string,
		/** Rows that take part: stamped at or below the compared bound (and, in bronze, not marked deleted). */
		private readonly comparedRows: string,
		/** Rows present at all (bronze: not marked deleted). */
		private readonly presentRows: string = 'true',
	) {}

	private async query<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<R[]> {
		this.statements++;
		return (await this.pool.query<R>(sql, values)).rows;
	}

	/** This server's value of HASH_PROBE. */
	async hashProbe(): Promise<string> {
		return (await this.query<{ h: string }>(HASH_PROBE, []))[0].h;
	}

	/** Count and checksum of each range, one statement (one UNION ALL branch per range, each planned on its own). */
	async aggregate(ranges: KeyRange[]): Promise<RangeAggregate[]> {
		const p = new Params();
		const branches = ranges.map(
			(r, i) =>
				`SELECT ${i} AS i, count(*)::bigint AS n, coalesce(sum(${rowHash(this.keys, this.watermarkColumn)}), 0)::text AS h
				   FROM ${this.from} WHERE ${this.comparedRows} AND ${rangePredicate(this.keys, r, p)}`,
		);
		const rows = await this.query<{ i: number; n: string; h: string }>(branches.join('\nUNION ALL\n'), p.values);
		const out: RangeAggregate[] = ranges.map(() => ({ rows: 0, hash: '0' }));
		for (const r of rows) out[r.i] = { rows: Number(r.n), hash: r.h };
		this.rowsRead += out.reduce((s, a) => s + a.rows, 0);
		return out;
	}

	/**
	 * The key that starts the next segment of `step` rows after `from` (keyset walk in key order, on all present rows so
	 * the key index serves it); null when no more than `step` rows remain.
	 */
	async nextBoundary(from: KeyTuple | null, step: number): Promise<KeyTuple | null> {
		const p = new Params();
		const where = (params: Params) => `${this.presentRows} AND ${rangePredicate(this.keys, { lo: from, hi: null }, params)}`;
		const rows = await this.query<{ k: KeyTuple }>(
			`SELECT ARRAY[${this.keys.map((k) => `${sortExpression(k)}::text`).join(', ')}] AS k
			   FROM ${this.from} WHERE ${where(p)} ORDER BY ${this.keys.map(sortExpression).join(', ')} OFFSET ${p.add(step)} LIMIT 1`,
			p.values,
		);
		if (rows.length) {
			this.rowsRead += step + 1;
			return rows[0].k;
		}
		// The last segment: count what the walk passed, for the rows-read figure.
		const c = new Params();
		const { n } = (
			await this.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${this.from} WHERE ${where(c)} LIMIT ${c.add(step)}) s`, c.values)
		)[0];
		this.rowsRead += Number(n);
		return null;
	}

	/**
	 * For a single integer key: its smallest and largest value (two index probes) and the planner's row estimate, so
	 * segments can be cut arithmetically instead of walking the key index. Null for other keys or an unanalysed table.
	 */
	async integerSpan(): Promise<{ min: bigint; max: bigint; rows: number } | null> {
		if (this.keys.length !== 1 || !/^(smallint|integer|bigint)$/.test(this.keys[0].type)) return null;
		const k = sortExpression(this.keys[0]);
		const [r] = await this.query<{ min: string | null; max: string | null; est: number | null }>(
			`SELECT (SELECT min(${k}) FROM ${this.from} WHERE ${this.presentRows})::text AS min, (SELECT max(${k}) FROM ${this.from} WHERE ${
				this.presentRows
			})::text AS max,
			        (SELECT reltuples FROM pg_class WHERE oid = '${this.from.replace(/'/g, "''")}'::regclass)::float8 AS est`,
			[],
		);
		if (r.min === null || r.max === null || r.est === null || r.est <= 0) return null;
		return { min: BigInt(r.min), max: BigInt(r.max), rows: r.est };
	}

	/** Up to `parts - 1` keys that cut `range` (holding about `rows` compared rows) into parts of equal row counts. */
	async splitPoints(range: KeyRange, rows: number, parts: number): Promise<KeyTuple[]> {
		const p = new Params();
		const step = Math.max(1, Math.ceil(rows / parts));
		const result = await this.query<{ k: KeyTuple }>(
			`SELECT k FROM (SELECT ARRAY[${this.keys.map((k) => `${sortExpression(k)}::text`).join(', ')}] AS k,
			                       row_number() OVER (ORDER BY ${this.keys.map(sortExpression).join(', ')}) AS rn
			                  FROM ${this.from} WHERE ${this.comparedRows} AND ${rangePredicate(this.keys, range, p)}) s
			  WHERE rn > 1 AND (rn - 1) % ${p.add(step)} = 0 ORDER BY rn LIMIT ${p.add(parts - 1)}`,
			p.values,
		);
		this.rowsRead += rows;
		return result.map((r) => r.k);
	}

	/** Key and watermark of every compared row in a (small) range. */
	async rowsIn(range: KeyRange): Promise<KeyedRow[]> {
		const p = new Params();
		const rows = await this.query<{ k: KeyTuple; w: string | null }>(
			`SELECT ${keyText(this.keys)} AS k, ${watermarkText(this.watermarkColumn)} AS w
			   FROM ${this.from} WHERE ${this.comparedRows} AND ${rangePredicate(this.keys, range, p)}`,
			p.values,
		);
		this.rowsRead += rows.length;
		return rows.map((r) => ({ key: r.k, watermark: r.w, comparable: true }));
	}

	/** The current state of the given keys: present rows only, each saying whether it is stamped within the bound. */
	async lookup(keys: KeyTuple[]): Promise<KeyedRow[]> {
		const out: KeyedRow[] = [];
		for (let i = 0; i < keys.length; i += 1000) {
			const chunk = keys.slice(i, i + 1000);
			const rows = await this.query<{ k: KeyTuple; w: string | null; c: boolean | null }>(
				`SELECT ${keyText(this.keys)} AS k, ${watermarkText(this.watermarkColumn)} AS w, (${this.comparedRows}) AS c
				   FROM ${this.from} WHERE ${this.presentRows} AND ${keysInJson(this.keys, '$1::json')}`,
				[JSON.stringify(chunk)],
			);
			this.rowsRead += rows.length;
			out.push(...rows.map((r) => ({ key: r.k, watermark: r.w, comparable: r.c === true })));
		}
		return out;
	}

	/**
	 * The subject column's value of each key present here, as text (a person's id: held in memory only, to compute
	 * its HMAC for the forget register; never stored or logged).
	 */
	async subjects(keys: KeyTuple[], subjectColumn: string): Promise<{ key: KeyTuple; subject: string | null }[]> {
		const out: { key: KeyTuple; subject: string | null }[] = [];
		for (let i = 0; i < keys.length; i += 1000) {
			const rows = await this.query<{ k: KeyTuple; s: string | null }>(
				`SELECT ${keyText(this.keys)} AS k, (${q(subjectColumn)})::text AS s FROM ${this.from} WHERE ${this.presentRows} AND ${keysInJson(
					this.keys,
					'$1::json',
				)}`,
				[JSON.stringify(keys.slice(i, i + 1000))],
			);
			this.rowsRead += rows.length;
			out.push(...rows.map((r) => ({ key: r.k, subject: r.s })));
		}
		return out;
	}
}
