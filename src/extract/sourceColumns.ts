import type pg from 'pg';
import { SQL_IDENTIFIER } from '../config/identifiers';

export interface SourceColumn {
	name: string;
	/** Type as written in DDL (format_type), e.g. numeric(38,10), timestamp with time zone, text[]. */
	type: string;
	/** True for types outside pg_catalog (enums, domains, PostGIS geometry): bronze stores their text form. */
	userDefined: boolean;
	notNull: boolean;
}

/** Reads the live column list of a source table. Dropped columns and system columns are ignored. */
export async function readSourceColumns(client: pg.PoolClient, schema: string, table: string): Promise<SourceColumn[]> {
	const { rows } = await client.query<{ name: string; type: string; user_defined: boolean; not_null: boolean }>(
		`SELECT a.attname AS name,
		        format_type(a.atttypid, a.atttypmod) AS type,
		        tn.nspname <> 'pg_catalog' OR (et.oid IS NOT NULL AND etn.nspname <> 'pg_catalog') AS user_defined,
		        a.attnotnull AS not_null
		   FROM pg_attribute a
		   JOIN pg_class c ON c.oid = a.attrelid
		   JOIN pg_namespace n ON n.oid = c.relnamespace
		   JOIN pg_type t ON t.oid = a.atttypid
		   JOIN pg_namespace tn ON tn.oid = t.typnamespace
		   LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
		   LEFT JOIN pg_namespace etn ON etn.oid = et.typnamespace
		  WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
		  ORDER BY a.attnum`,
		[schema, table],
	);
	return rows.map((r) => ({ name: r.name, type: r.type, userDefined: r.user_defined, notNull: r.not_null }));
}

/** The bronze column type: the source type when the warehouse surely has it, text otherwise. */
export function bronzeType(col: SourceColumn): string {
	return col.userDefined ? 'text' : col.type;
}

const WATERMARK_TYPES = new Set(['timestamp with time zone', 'timestamp without time zone']);

export function isTimestampType(type: string): boolean {
	return WATERMARK_TYPES.has(type.replace(/\(\d\)/, ''));
}

/** Bronze's own columns start with this (`_dwh_run_id`, `_dwh_loaded_at`); a source column may not. */
export const RESERVED_COLUMN_PREFIX = '_dwh_';

export class SourceColumnError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SourceColumnError';
	}
}

/**
 * The live column names are input too: they become bronze DDL, the COPY column list and the CSV header. Each must be
 * a plain SQL identifier (like every registry name), and none may take a bookkeeping column's name, which would
 * otherwise fail later as a raw PostgreSQL error ("column specified more than once") or shadow the run id.
 */
export function vetSourceColumns(where: string, columns: SourceColumn[]): void {
	const problems: string[] = [];
	for (const c of columns) {
		if (c.name.startsWith(RESERVED_COLUMN_PREFIX)) {
			problems.push(
				`column ${c.name} collides with the bookkeeping columns bronze adds (${RESERVED_COLUMN_PREFIX}*): add "${c.name}" to excluded_columns in the registry, or rename it in the source`,
			);
		} else if (!SQL_IDENTIFIER.test(c.name)) {
			problems.push(
				`column ${JSON.stringify(
					c.name,
				)} is not a lower-case SQL identifier (letters, digits, underscore; max 63 chars, not starting with a digit): rename it in the source, or register a view that selects it under such a name as source_table`,
			);
		}
	}
	if (problems.length) throw new SourceColumnError(`Source table ${where} cannot be copied to bronze: ${problems.join('; ')}. Nothing was extracted.`);
}
