import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresConnection } from '../../../src/config/connection.schema';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { openPipelineContext, type PipelineContext } from '../../../src/pipeline/context';
import { stageLogin, type Login, type StageRole } from '../../harness/loginRole';
import { migratedWarehouse } from '../../harness/migratedWarehouse';
import { freshBucket, freshDatabase } from '../../harness/testEnv';
import { registerTable, type RegistryEntry } from '../../harness/registerTable';

/**
 * One isolated pipeline per test file: its own source database, warehouse database (migrated) and bucket,
 * so tests never see each other's rows or watermarks. The pipeline runs as the ETL nodes' documented login (a
 * member of dwh_etl whose sessions run as it, docs/security.md); `wh` is the superuser that builds fixtures.
 */
export interface World {
	source: PostgresConnection;
	/** The warehouse as Watermark Extract / Blob Load Bronze log in: dwh_etl. */
	warehouse: PostgresConnection;
	ctx: PipelineContext & { close(): Promise<void> };
	src: pg.Pool;
	wh: pg.Pool;
	register(entry: RegistryEntry): Promise<string>;
	/** Bronze's id and one other column, by id (what a load left in raw.<table>). */
	bronzeRows(table: string, column: string): Promise<Array<Record<string, unknown>>>;
	/** Another stage's login to this warehouse (e.g. dwh_transform for dbt); dropped by close(). */
	login(role: StageRole): Promise<PostgresConnection>;
	close(): Promise<void>;
}

export async function createWorld(name: string): Promise<World> {
	const source = postgresConnectionSchema.parse(await freshDatabase(`${name}_src`));
	const { connection: admin, pool: wh } = await migratedWarehouse(`${name}_wh`, 3);
	const store = await freshBucket(name.replace(/_/g, '-'));
	const src = new pg.Pool({ ...connOf(source), max: 6 });
	const logins: Login[] = [await stageLogin(admin.database, 'dwh_etl')];
	const warehouse = postgresConnectionSchema.parse(logins[0].connection);
	const ctx = openPipelineContext({ source, warehouse, store, exportTimezone: 'Africa/Johannesburg' });
	return {
		source,
		warehouse,
		ctx,
		src,
		wh,
		register: (entry) => registerTable(wh, source.database, entry),
		bronzeRows: async (table, column) =>
			(await wh.query(`SELECT id::int, ${pg.escapeIdentifier(column)} FROM raw.${pg.escapeIdentifier(table)} ORDER BY id`)).rows,
		async login(role) {
			const l = await stageLogin(admin.database, role);
			logins.push(l);
			return postgresConnectionSchema.parse(l.connection);
		},
		async close() {
			await ctx.close();
			for (const l of logins) await l.drop().catch(() => undefined);
			await wh.end();
			await src.end();
		},
	};
}

export function connOf(c: PostgresConnection): pg.PoolConfig {
	return { host: c.host, port: c.port, database: c.database, user: c.user, password: c.password };
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(3).toString('hex')}`;
