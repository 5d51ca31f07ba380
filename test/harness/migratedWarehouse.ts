import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection, type PostgresConnectionInput } from '../../src/config/connection.schema';
import { migrateWarehouse } from '../../src/control/migrate';
import { freshDatabase } from './testEnv';

/**
 * How the superuser pool is opened: a plain pg.Pool of that many connections, or a factory (the core's createPool,
 * as the areas whose fixtures compare timestamps as text open theirs).
 */
export type WarehousePool = number | ((connection: PostgresConnection) => pg.Pool);

/**
 * A fresh database with every dwh-control-sql migration applied (on the shared test cluster, or on `server`), and a
 * superuser pool to it (builds fixtures, reads results). The caller ends the pool.
 */
export async function migratedWarehouse(
	name: string,
	poolOf: WarehousePool,
	server?: PostgresConnectionInput,
): Promise<{ connection: PostgresConnection; pool: pg.Pool }> {
	const connection = postgresConnectionSchema.parse(await freshDatabase(name, server));
	const { host, port, database, user, password } = connection;
	const pool = typeof poolOf === 'number' ? new pg.Pool({ host, port, database, user, password, max: poolOf }) : poolOf(connection);
	await migrateWarehouse(pool);
	return { connection, pool };
}

export interface WarehouseTransaction {
	client: pg.PoolClient;
	close(): Promise<void>;
}

/**
 * A migrated warehouse with one session held in an open transaction: `fixtures` (SQL run first) and everything
 * written and read through `client` see one now() (the transaction's start), so the lags and ages the views compute
 * are exact. `close()` rolls the transaction back and ends the pool.
 */
export async function warehouseInTransaction(name: string, max: number, fixtures?: string): Promise<WarehouseTransaction> {
	const { pool } = await migratedWarehouse(name, max);
	const client = await pool.connect();
	await client.query('BEGIN');
	if (fixtures) await client.query(fixtures);
	return {
		client,
		async close() {
			await client.query('ROLLBACK');
			client.release();
			await pool.end();
		},
	};
}
