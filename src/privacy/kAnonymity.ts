import pg from 'pg';
import { SQL_IDENTIFIER } from '../config/identifiers';
import type { Relation } from './piiScan';
import { withTransaction } from '../transport/transaction';

type Db = pg.Pool | pg.PoolClient;

/**
 * How big a group is (design doc §6.6: "every (city, age_band, day) bucket has ≥5 users").
 * - rows: one row per person (an intermediate table keyed by user_hash);
 * - distinctColumn: count(DISTINCT user_hash) when a person has many rows (check-ins, transactions);
 * - countColumn: sum(user_count) for a table that is already an aggregate (push-back payloads, marts.agg_*).
 */
export interface GroupSizeOptions {
	distinctColumn?: string;
	countColumn?: string;
}

export interface KAnonymityReport {
	relation: string;
	quasiIdentifiers: string[];
	k: number;
	totalRows: number;
	groups: number;
	/** null when the relation is empty. */
	smallestGroup: number | null;
	groupsBelowK: number;
	rowsInGroupsBelowK: number;
	satisfied: boolean;
}

export type KAnonymityStrategy =
	/** Delete every row of a group smaller than k. */
	| { strategy: 'suppress' }
	/**
	 * Set `columns` (a subset of the quasi-identifiers) to NULL — "any" — in groups smaller than k, so they merge
	 * into a coarser group; rows still below k after that are suppressed. The columns must be nullable.
	 */
	| { strategy: 'generalise'; columns: string[] };

export interface KAnonymityEnforcement {
	generalisedRows: number;
	suppressedRows: number;
	after: KAnonymityReport;
}

function checkNames(relation: Relation, names: string[]): void {
	for (const n of [relation.schema, relation.table, ...names]) {
		if (!SQL_IDENTIFIER.test(n)) throw new Error(`k-anonymity: "${n}" is not a valid lower-case SQL identifier`);
	}
}

function target(relation: Relation): string {
	return `${pg.escapeIdentifier(relation.schema)}.${pg.escapeIdentifier(relation.table)}`;
}

function sizeExpr(opts: GroupSizeOptions): string {
	if (opts.distinctColumn && opts.countColumn) throw new Error('k-anonymity: give distinctColumn or countColumn, not both');
	if (opts.countColumn) return `coalesce(sum(${pg.escapeIdentifier(opts.countColumn)}), 0)::bigint`;
	if (opts.distinctColumn) return `count(DISTINCT ${pg.escapeIdentifier(opts.distinctColumn)})`;
	return 'count(*)';
}

function validate(relation: Relation, quasiIdentifiers: string[], k: number, opts: GroupSizeOptions): void {
	if (!quasiIdentifiers.length) throw new Error('k-anonymity: at least one quasi-identifier column is required');
	if (!Number.isInteger(k) || k < 1) throw new Error(`k-anonymity: k must be a positive integer, got ${k}`);
	checkNames(relation, [...quasiIdentifiers, ...[opts.countColumn, opts.distinctColumn].filter((c): c is string => !!c)]);
}

/** Smallest group size over the quasi-identifiers and how much of the relation sits in groups below k. */
export async function kAnonymityReport(db: Db, relation: Relation, quasiIdentifiers: string[], k = 5, opts: GroupSizeOptions = {}): Promise<KAnonymityReport> {
	validate(relation, quasiIdentifiers, k, opts);
	const qi = quasiIdentifiers.map((c) => pg.escapeIdentifier(c)).join(', ');
	const { rows } = await db.query<{ groups: string; smallest: string | null; below: string; rows_below: string; total: string }>(
		`WITH g AS (SELECT ${sizeExpr(opts)} AS n, count(*) AS r FROM ${target(relation)} GROUP BY ${qi})
		 SELECT count(*) AS groups, min(n) AS smallest, count(*) FILTER (WHERE n < $1) AS below,
		        coalesce(sum(r) FILTER (WHERE n < $1), 0) AS rows_below, coalesce(sum(r), 0) AS total
		   FROM g`,
		[k],
	);
	const r = rows[0];
	const groupsBelowK = Number(r.below);
	return {
		relation: `${relation.schema}.${relation.table}`,
		quasiIdentifiers,
		k,
		totalRows: Number(r.total),
		groups: Number(r.groups),
		smallestGroup: r.smallest === null ? null : Number(r.smallest),
		groupsBelowK,
		rowsInGroupsBelowK: Number(r.rows_below),
		satisfied: groupsBelowK === 0,
	};
}

function smallGroups(relation: Relation, quasiIdentifiers: string[], opts: GroupSizeOptions): string {
	const qi = quasiIdentifiers.map((c) => pg.escapeIdentifier(c)).join(', ');
	return `SELECT ${qi} FROM ${target(relation)} GROUP BY ${qi} HAVING ${sizeExpr(opts)} < $1`;
}

function matchesSmall(quasiIdentifiers: string[]): string {
	// IS NOT DISTINCT FROM: a NULL quasi-identifier is a group of its own, as in GROUP BY.
	return quasiIdentifiers.map((c) => `t.${pg.escapeIdentifier(c)} IS NOT DISTINCT FROM s.${pg.escapeIdentifier(c)}`).join(' AND ');
}

/** A pool gets a transaction of its own; a client is already in the caller's. */
async function inOwnOrCallersTransaction<T>(db: Db, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
	return db instanceof pg.Pool ? withTransaction(db, fn) : fn(db);
}

/**
 * Makes the relation k-anonymous over the quasi-identifiers, in place and in one transaction (the caller's,
 * when given a client). Returns what was changed and the report afterwards (always satisfied).
 */
export async function enforceKAnonymity(
	db: Db,
	relation: Relation,
	quasiIdentifiers: string[],
	k = 5,
	how: KAnonymityStrategy = { strategy: 'suppress' },
	opts: GroupSizeOptions = {},
): Promise<KAnonymityEnforcement> {
	validate(relation, quasiIdentifiers, k, opts);
	if (how.strategy === 'generalise') {
		if (!how.columns.length) throw new Error('k-anonymity: generalise needs at least one column to coarsen');
		for (const c of how.columns) {
			if (!quasiIdentifiers.includes(c)) throw new Error(`k-anonymity: generalise column ${c} is not one of the quasi-identifiers`);
		}
	}
	return inOwnOrCallersTransaction(db, async (client) => {
		let generalisedRows = 0;
		if (how.strategy === 'generalise') {
			const set = how.columns.map((c) => `${pg.escapeIdentifier(c)} = NULL`).join(', ');
			const res = await client.query(
				`WITH s AS (${smallGroups(relation, quasiIdentifiers, opts)})
				 UPDATE ${target(relation)} t SET ${set} FROM s WHERE ${matchesSmall(quasiIdentifiers)}`,
				[k],
			);
			generalisedRows = res.rowCount ?? 0;
		}
		const del = await client.query(
			`WITH s AS (${smallGroups(relation, quasiIdentifiers, opts)})
			 DELETE FROM ${target(relation)} t USING s WHERE ${matchesSmall(quasiIdentifiers)}`,
			[k],
		);
		const after = await kAnonymityReport(client, relation, quasiIdentifiers, k, opts);
		return { generalisedRows, suppressedRows: del.rowCount ?? 0, after };
	});
}
