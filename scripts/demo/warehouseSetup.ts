import type pg from 'pg';
import { bronzeTableName, sourceTableSchema } from '../../src/config/registry.schema';
import { migrateWarehouse } from '../../src/control/migrate';
import { DEMO_REGISTRY } from './registry';

/** Applies dwh-control-sql/migrations exactly as `npm run dwh:migrate` does; returns lines to print. */
export async function migrateDemoWarehouse(wh: pg.Pool): Promise<string[]> {
	const report = await migrateWarehouse(wh);
	return [`migrations applied: ${report.applied.map((a) => a.file).join(', ') || '(none)'}`];
}

/** Registers the demo's tables, enabled, with a watermark row each (the registry sync's job in production). */
export async function syncDemoRegistry(wh: pg.Pool, sourceDbs: string[]): Promise<string[]> {
	const entries = DEMO_REGISTRY.map((e) => sourceTableSchema.parse(e)).filter((t) => sourceDbs.includes(t.source_db));
	for (const t of entries) {
		const table = bronzeTableName(t);
		await wh.query(
			`INSERT INTO dwh_control.source_tables (table_name, source_db, source_schema, source_table, mode, load_strategy,
			   watermark_column, key_columns, cadence, lookback, safety_lag, schema_drift_policy, excluded_columns, enabled, description)
			 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
			[table, t.source_db, t.source_schema, t.source_table, t.mode, t.load_strategy, t.watermark_column, t.key_columns,
				t.cadence, t.lookback, t.safety_lag, t.schema_drift_policy, t.excluded_columns, t.enabled, t.description],
		);
		await wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1) ON CONFLICT DO NOTHING`, [table]);
	}
	return [`registry: ${entries.length} tables enabled from ${sourceDbs.join(', ')}`];
}
