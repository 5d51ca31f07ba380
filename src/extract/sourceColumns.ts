import type pg from 'pg';

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
