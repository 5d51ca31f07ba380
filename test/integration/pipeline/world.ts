import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresConnection } from '../../../src/config/connection.schema';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { migrateWarehouse as migrateControlSchema } from '../../../src/control/migrate';
import type { SourceTableInput } from '../../../src/config/registry.schema';
import { openPipelineContext, type PipelineContext } from '../../../src/pipeline/context';
import { freshBucket, freshDatabase } from '../../harness/testEnv';
import { registerTable } from '../../harness/registerTable';

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
		register: (entry) => registerTable(wh, source.database, entry),
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
