import pg from 'pg';
import { EnrichInputError } from './parseConfig';

export const ident = (name: string) => pg.escapeIdentifier(name);

/** 'schema.table' -> "schema"."table" (names are whitelisted by the config schema before they get here). */
export function qualified(relation: string): string {
	const [schema, table] = relation.split('.');
	return `${ident(schema)}.${ident(table)}`;
}

export interface RelationColumns {
	relation: string;
	/** column name -> format_type(), e.g. 'timestamp with time zone'. */
	types: Map<string, string>;
}

/** Columns of a table, view or temp table; throws a sentence naming the relation when it does not exist. */
export async function describeRelation(db: pg.ClientBase | pg.Pool, relation: string): Promise<RelationColumns> {
	const { rows } = await db.query<{ name: string; type: string }>(
		`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
		   FROM pg_attribute a
		  WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		  ORDER BY a.attnum`,
		[qualified(relation)],
	);
	if (rows.length === 0) throw new EnrichInputError(`Relation ${relation} does not exist (or has no columns) — check the schema.table name`);
	return { relation, types: new Map(rows.map((r) => [r.name, r.type])) };
}

/** Error naming the config field, the missing column and what the relation does have. */
export function requireColumn(cols: RelationColumns, column: string | undefined, field: string): void {
	if (column === undefined || cols.types.has(column)) return;
	const have = [...cols.types.keys()].join(', ');
	throw new EnrichInputError(`${field}: column "${column}" is not in ${cols.relation} (it has: ${have})`);
}

/** The value as timestamptz; `timestamp without time zone` columns hold UTC in this warehouse. */
export function asTimestamptz(expr: string, type: string | undefined): string {
	if (type === 'timestamp with time zone') return expr;
	if (type === 'timestamp without time zone') return `(${expr} AT TIME ZONE 'UTC')`;
	return `(${expr})::timestamptz`;
}

export const literal = (value: string) => pg.escapeLiteral(value);
