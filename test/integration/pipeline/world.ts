import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresConnection } from '../../../src/config/connection.schema';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { migrateWarehouse as migrateControlSchema } from '../../../src/control/migrate';
import { bronzeTableName, sourceTableSchema, type SourceTableInput } from '../../../src/config/registry.schema';
import { openPipelineContext, type PipelineContext } from '../../../src/pipeline/context';
import { freshBucket, freshDatabase } from '../../harness/testEnv';

/**
 * One isolated pipeline per test file: its own source database, warehouse database (migrated) and bucket,
 * so tests never see each other's rows or watermarks.
 */
export interface World {
	source: PostgresConnection;
	warehouse: PostgresConnection;
	ctx: PipelineContext & { close(): Promise<void> };
	src: pg.Pool;
	wh: pg.Pool;
	register(entry: Omit<SourceTableInput, 'source_db'>): Promise<string>;
	close(): Promise<void>;
}

export async function createWorld(name: string): Promise<World> {
	const source = postgresConnectionSchema.parse(await freshDatabase(`${name}_src`));
	const warehouse = postgresConnectionSchema.parse(await freshDatabase(`${name}_wh`));
	const store = await freshBucket(name.replace(/_/g, '-'));
	const wh = new pg.Pool({ ...connOf(warehouse), max: 3 });
	const src = new pg.Pool({ ...connOf(source), max: 6 });
	await migrateWarehouse(wh);
	const ctx = openPipelineContext({ source, warehouse, store, exportTimezone: 'Africa/Johannesburg' });
	return {
		source,
		warehouse,
		ctx,
		src,
		wh,
		async register(entry) {
			const t = sourceTableSchema.parse({ ...entry, source_db: source.database });
			const table = bronzeTableName(t);
			await wh.query(
				`INSERT INTO dwh_control.source_tables (table_name, source_db, source_schema, source_table, mode, load_strategy,
				   watermark_column, key_columns, cadence, lookback, safety_lag, schema_drift_policy, excluded_columns, enabled, description)
				 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
				[table, t.source_db, t.source_schema, t.source_table, t.mode, t.load_strategy, t.watermark_column, t.key_columns,
					t.cadence, t.lookback, t.safety_lag, t.schema_drift_policy, t.excluded_columns, t.enabled, t.description],
			);
			await wh.query(`INSERT INTO dwh_control.extract_watermarks (table_name) VALUES ($1) ON CONFLICT DO NOTHING`, [table]);
			return table;
		},
		async close() {
			await ctx.close();
			await wh.end();
			await src.end();
		},
	};
}

export function connOf(c: PostgresConnection): pg.PoolConfig {
	return { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password };
}

async function migrateWarehouse(wh: pg.Pool): Promise<void> {
	await migrateControlSchema(wh);
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}`;
