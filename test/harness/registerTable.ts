import type pg from 'pg';
import { bronzeTableName, sourceTableSchema, type SourceTableInput } from '../../src/config/registry.schema';

/** A registry entry without its source database (the test world supplies it). */
export type RegistryEntry = Omit<SourceTableInput, 'source_db'>;

/**
 * The entry nearly every test registers: an incremental table keyed by `id`, appended or upserted on one watermark
 * column at a cadence; `more` sets any other field (lookback, safety_lag, drift policy, …).
 */
export function incremental(
	load_strategy: 'append' | 'upsert',
	source_table: string,
	watermark_column: string,
	cadence: string,
	more: Partial<RegistryEntry> = {},
): RegistryEntry {
	return { source_table, mode: 'incremental', load_strategy, watermark_column, key_columns: ['id'], cadence, ...more };
}

/**
 * Registers one source table straight into dwh_control (plus its watermark row), validated by the registry schema.
 * Tests use this instead of syncRegistry so a test file can register exactly the tables it builds, with their
 * own source database name.
 */
export async function registerTable(wh: pg.Pool, sourceDb: string, entry: RegistryEntry): Promise<string> {
	const t = sourceTableSchema.parse({ ...entry, source_db: sourceDb });
	const table = bronzeTableName(t);
	await wh.query(
		`INSERT INTO dwh_control.source_tables (table_name, source_db, source_schema, source_table, mode, load_strategy,
		   watermark_column, key_columns, cadence, lookback, safety_lag, schema_drift_policy, excluded_columns, enabled, description,
		   watermark_time_zone, on_source_delete, raw_retention_days, reconcile_cadence)
		 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)`,
		[
			table,
			t.source_db,
			t.source_schema,
			t.source_table,
			t.mode,
			t.load_strategy,
			t.watermark_column,
			t.key_columns,
			t.cadence,
			t.lookback,
			t.safety_lag,
			t.schema_drift_policy,
			t.excluded_columns,
			t.enabled,
			t.description,
			t.watermark_time_zone,
			t.on_source_delete,
			t.raw_retention_days ?? null,
			t.reconcile_cadence ?? null,
		],
	);
	await wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1) ON CONFLICT DO NOTHING`, [table]);
	return table;
}
