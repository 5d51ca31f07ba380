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
