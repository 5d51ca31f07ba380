import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../../src/config/connection.schema';
import { migrateWarehouse } from '../../src/control/migrate';
import { freshDatabase } from './testEnv';

/**
 * A fresh database on the test cluster with every dwh-control-sql migration applied, and a superuser pool of `max`
 * connections to it (builds fixtures, reads results). The caller ends the pool.
 */
export async function migratedWarehouse(name: string, max: number): Promise<{ connection: PostgresConnection; pool: pg.Pool }> {
	const connection = postgresConnectionSchema.parse(await freshDatabase(name));
	const { host, port, database, user, password } = connection;
	const pool = new pg.Pool({ host, port, database, user, password, max });
	await migrateWarehouse(pool);
	return { connection, pool };
}

export interface WarehouseTransaction {
	client: pg.PoolClient;
	close(): Promise<void>;
}

/**
 * A migrated warehouse with one session held in an open transaction: fixtures written and read through `client` all
 * see one now() (the transaction's start), so the lags and ages the views compute are exact. `close()` rolls the
 * transaction back and ends the pool.
 */
export async function warehouseInTransaction(name: string, max: number): Promise<WarehouseTransaction> {
	const { pool } = await migratedWarehouse(name, max);
	const client = await pool.connect();
	await client.query('BEGIN');
	return {
		client,
		async close() {
			await client.query('ROLLBACK');
			client.release();
			await pool.end();
		},
	};
}
