import pg from 'pg';
import { hashText, type HashOptions } from './hashing';
import { outputColumns, subjectColumn, type ColumnSpec } from './policy.schema';
import type { LoadedPolicy } from './policyLoader';
import type { ResolvedSalt } from './secrets.schema';

const q = pg.escapeIdentifier;

/**
 * Where a person's hash can be, beyond the tables the policies write: Enrich's intermediate.enr_*, dbt's marts,
 * analytics_db's push targets, anyone's derived table. Rather than a hand list, the columns are derived from the
 * policies (every output of a hash salted like a subject column: user_hash, sender_hash, …) and the relations
 * carrying them are found in the catalog of each database at forget time, so a new mart or push target is covered
 * the day it appears.
 */
export interface SubjectHashColumns {
	/** Output column name → the hash variants that produce it (salt type + options). */
	columns: Map<string, { salt: string; opts: HashOptions }[]>;
	/** Names that are some table's subject column: a row matching one is the person's own row (deleted). */
	subjectNames: Set<string>;
	/** Salt types of subject columns. */
	saltTypes: string[];
}

type HashColumnSpec = Extract<ColumnSpec, { strategy: 'hash' }>;

export function subjectHashColumns(policies: LoadedPolicy[]): SubjectHashColumns {
	const saltTypes = new Set<string>();
	const subjectNames = new Set<string>();
	for (const { policy } of policies) {
		for (const t of policy.tables) {
			const col = subjectColumn(t);
			const spec = col ? t.columns[col] : undefined;
			if (spec?.strategy !== 'hash') continue;
			saltTypes.add(spec.salt);
			subjectNames.add(outputColumns(col!, spec)[0]);
		}
	}
	const columns = new Map<string, { salt: string; opts: HashOptions }[]>();
	for (const { policy } of policies) {
		for (const t of policy.tables) {
			for (const [col, spec] of Object.entries(t.columns)) {
				if (spec.strategy !== 'hash' || !saltTypes.has(spec.salt)) continue;
				const h = spec as HashColumnSpec;
				const name = outputColumns(col, h)[0];
				const variant = { salt: h.salt, opts: { algorithm: h.algorithm, truncate: h.truncate, normalise: h.normalise } };
				const list = columns.get(name) ?? [];
				if (!list.some((v) => JSON.stringify(v) === JSON.stringify(variant))) list.push(variant);
				columns.set(name, list);
			}
		}
	}
	return { columns, subjectNames, saltTypes: [...saltTypes].sort() };
}

/** Every value the person's id can have in those columns, under the active salts. */
export function subjectHashes(cols: SubjectHashColumns, salts: Map<string, ResolvedSalt>, userId: string): string[] {
	const out = new Set<string>();
	for (const variants of cols.columns.values()) for (const v of variants) out.add(hashText(salts.get(v.salt)!.salt, userId, v.opts));
	return [...out];
}

export interface CarryingRelation {
	schema: string;
	name: string;
	kind: 'r' | 'p' | 'v' | 'm';
	columns: string[];
}

/** Schemas never searched by hash: system catalogs, and places that hold ids rather than hashes or hold the audit. */
const SYSTEM_SCHEMAS = ['information_schema', 'pg_catalog', 'pg_toast'];

/** Tables, partitioned tables, views and materialized views with any of `columns`, outside `skipSchemas`. */
export async function relationsCarrying(db: pg.ClientBase, columns: string[], skipSchemas: string[]): Promise<CarryingRelation[]> {
	const { rows } = await db.query<CarryingRelation>(
		`SELECT n.nspname AS schema, c.relname AS name, c.relkind::text AS kind, array_agg(a.attname::text ORDER BY a.attnum) AS columns
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE a.attname = ANY($1::text[]) AND a.attnum > 0 AND NOT a.attisdropped
		    AND c.relkind IN ('r', 'p', 'v', 'm') AND NOT c.relispartition
		    AND n.nspname <> ALL($2::text[]) AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
		  GROUP BY 1, 2, 3 ORDER BY 1, 2`,
		[columns, [...SYSTEM_SCHEMAS, ...skipSchemas]],
	);
	return rows;
}

export interface CopyAction {
	relation: string;
	action: 'deleted' | 'unlinked' | 'view_follows' | 'refreshed';
	rows: number;
	note?: string;
}

/**
 * Removes the person from each relation: rows where a subject column matches are deleted (their own rows); other
 * hash columns that match (a payment's receiver) are set to NULL, because the row is someone else's. Views show
 * their base tables; materialized views are refreshed. `linkOnly` relations (the policies' own outputs, handled by
 * the per-table forget and its legal holds) only get the NULLing. `place` prefixes the audit's relation name.
 */
export async function eraseFromCopies(
	client: pg.ClientBase,
	relations: CarryingRelation[],
	cols: SubjectHashColumns,
	hashes: string[],
	opts: { place?: string; linkOnly?: Set<string> } = {},
): Promise<CopyAction[]> {
	const actions: CopyAction[] = [];
	for (const r of relations) {
		const relation = `${opts.place ? `${opts.place}.` : ''}${r.schema}.${r.name}`;
		try {
			actions.push(...(await eraseFromOne(client, r, cols, hashes, opts.linkOnly?.has(`${r.schema}.${r.name}`) ?? false, relation)));
		} catch (err) {
			const e = err as { code?: string; message: string };
			const fix = e.code === '42501' ? ' — grant the forgetting login DELETE and UPDATE on it (REFRESH needs its owner role), or drop it' : '';
			throw new Error(`cannot remove the person from ${relation}: ${e.message}${fix}`);
		}
	}
	return actions;
}

/** One relation: view (nothing to do), materialized view (refresh), table (delete own rows, unlink the others). */
async function eraseFromOne(
	client: pg.ClientBase,
	r: CarryingRelation,
	cols: SubjectHashColumns,
	hashes: string[],
	linkOnly: boolean,
	relation: string,
): Promise<CopyAction[]> {
	const rel = `${q(r.schema)}.${q(r.name)}`;
	const matches = (cs: string[]) => cs.map((c) => `${q(c)} = ANY($1::text[])`).join(' OR ');
	if (r.kind === 'v') return [{ relation, action: 'view_follows', rows: 0 }];
	if (r.kind === 'm') {
		const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${rel} WHERE ${matches(r.columns)}`, [hashes]);
		if (Number(rows[0].n) > 0) await client.query(`REFRESH MATERIALIZED VIEW ${rel}`);
		return [{ relation, action: 'refreshed', rows: Number(rows[0].n) }];
	}
	const actions: CopyAction[] = [];
	const own = linkOnly ? [] : r.columns.filter((c) => cols.subjectNames.has(c));
	if (own.length) {
		const res = await client.query(`DELETE FROM ${rel} WHERE ${matches(own)}`, [hashes]);
		actions.push({ relation, action: 'deleted', rows: res.rowCount ?? 0 });
	}
	// A policy's own output keeps its subject column to forgetOne (legal holds); other matches are someone else's rows.
	for (const c of r.columns.filter((x) => !own.includes(x) && !(linkOnly && cols.subjectNames.has(x)))) {
		const res = await client.query(`UPDATE ${rel} SET ${q(c)} = NULL WHERE ${q(c)} = ANY($1::text[])`, [hashes]);
		actions.push({ relation, action: 'unlinked', rows: res.rowCount ?? 0, note: `column ${c}` });
	}
	return actions;
}
