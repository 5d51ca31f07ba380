import type pg from 'pg';
import type { RegisteredTable } from '../config/registry.schema';
import { bronzeType, type SourceColumn } from './sourceColumns';

/**
 * Bookkeeping columns of bronze; never part of the CSV. Every table carries the first two; `_dwh_deleted_at` is added
 * by a reconcile repair under the registry policy on_source_delete = 'mark' (src/reconcile/repair.ts).
 */
export const BRONZE_META_COLUMNS = ['_dwh_run_id', '_dwh_loaded_at', '_dwh_deleted_at'] as const;
export const DELETED_AT_COLUMN = '_dwh_deleted_at';

/**
 * The load transaction names its run in this setting (SET LOCAL), so a back-fill can COPY the CSV straight into
 * bronze and let the column default stamp every row with the run id. Outside a load the setting is unset or empty
 * and the default fails, so a writer that forgets the run id is refused rather than given a wrong one.
 */
// The default reads it through dwh_control.load_run_id() (the migration baseline), folded to a constant once per statement.
export const LOAD_RUN_ID_SETTING = 'dwh.load_run_id';
/** What `_dwh_run_id`'s default must end with for a back-fill to COPY straight into bronze (as pg_get_expr spells it). */
export const RUN_ID_DEFAULT = 'load_run_id()';

export class SchemaDriftError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'SchemaDriftError';
	}
}

interface BronzeColumn {
	name: string;
	type: string;
}

async function readBronzeColumns(db: pg.PoolClient | pg.Pool, table: string): Promise<BronzeColumn[] | null> {
	const { rows } = await db.query<BronzeColumn & { exists: boolean }>(
		`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = 'raw' AND c.relname = $1 AND c.relkind IN ('r','p') AND a.attnum > 0 AND NOT a.attisdropped
		  ORDER BY a.attnum`,
		[table],
	);
	if (rows.length === 0) return null;
	return rows.filter((r) => !(BRONZE_META_COLUMNS as readonly string[]).includes(r.name));
}

export async function bronzeTableExists(db: pg.PoolClient | pg.Pool, table: string): Promise<boolean> {
	const { rows } = await db.query<{ exists: boolean }>(`SELECT to_regclass(format('raw.%I', $1::text)) IS NOT NULL AS exists`, [table]);
	return rows[0].exists;
}

export interface BronzeSchemaOutcome {
	created: boolean;
	addedColumns: string[];
	/** Columns bronze has but the source no longer sends (kept; new rows get NULL). */
	missingInSource: string[];
}

/**
 * Creates raw.<table> from the source's columns and key on first sight, and on every later run compares the two
 * and applies the registry's drift policy. Type changes always stop the run: silently re-typing bronze can
 * corrupt history, so a DBA decides.
 */
export async function ensureBronzeTable(db: pg.PoolClient, t: RegisteredTable, source: SourceColumn[]): Promise<BronzeSchemaOutcome> {
	const bronze = await readBronzeColumns(db, t.table_name);
	if (!bronze) {
		// The extract login does not own raw: dwh_control.create_bronze_table (the migration baseline, SECURITY DEFINER) creates
		// the table for a registered name, with the key from the registry, owned by dwh_owner.
		await db.query('SELECT dwh_control.create_bronze_table($1, $2::text[], $3::text[])', [t.table_name, source.map((c) => c.name), source.map(bronzeType)]);
		// create_bronze_table still writes the per-row run-id default; the folded one is set here, in the transaction that creates
		// the table (nobody else sees it yet), so its first load need not lock the table to change it.
		await db.query('SELECT dwh_control.set_bronze_run_id_default($1)', [t.table_name]);
		return { created: true, addedColumns: [], missingInSource: [] };
	}

	const bronzeByName = new Map(bronze.map((c) => [c.name, c]));
	const sourceNames = new Set(source.map((c) => c.name));
	const added = source.filter((c) => !bronzeByName.has(c.name));
	const missing = bronze.filter((c) => !sourceNames.has(c.name)).map((c) => c.name);
	const retyped = source
		.filter((c) => bronzeByName.has(c.name) && bronzeByName.get(c.name)!.type !== bronzeType(c))
		.map((c) => `${c.name} (source ${bronzeType(c)}, bronze ${bronzeByName.get(c.name)!.type})`);

	const where = `${t.source_db}.${t.source_schema}.${t.source_table}`;
	if (retyped.length) {
		throw new SchemaDriftError(
			`Schema drift on ${where}: column type changed for ${retyped.join(', ')}. Alter raw.${t.table_name} by hand (or rebuild it), then rerun.`,
		);
	}
	const missingKeys = missing.filter((m) => t.key_columns.includes(m));
	if (missingKeys.length) {
		throw new SchemaDriftError(
			`Schema drift on ${where}: key column(s) ${missingKeys.join(', ')} no longer exist in the source. Fix key_columns in the registry.`,
		);
	}
	if (t.schema_drift_policy === 'fail' && (added.length || missing.length)) {
		const parts = [
			added.length ? `new in source: ${added.map((c) => `${c.name} ${bronzeType(c)}`).join(', ')}` : '',
			missing.length ? `gone from source: ${missing.join(', ')}` : '',
		].filter(Boolean);
		throw new SchemaDriftError(
			`Schema drift on ${where} (policy 'fail'): ${parts.join('; ')}. Update raw.${
				t.table_name
			} by hand, or set schema_drift_policy to 'add_nullable_columns' in the registry.`,
		);
	}
	for (const c of added) {
		await db.query('SELECT dwh_control.add_bronze_column($1, $2, $3)', [t.table_name, c.name, bronzeType(c)]);
	}
	return { created: false, addedColumns: added.map((c) => c.name), missingInSource: missing };
}
