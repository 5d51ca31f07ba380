import type pg from 'pg';
import type { IExecuteFunctions } from 'n8n-workflow';
import { createPool } from '../../src/transport/postgres';
import type { Resources } from './items';
import { readPostgresConnection } from './pipelineContext';
import { WAREHOUSE_CREDENTIAL } from './credentialTypes';
import type { ErrorScope } from './errorDescription';

/**
 * A pool on one of the Postgres credentials for all items of an execution, opened by executeItems/executeBatch.
 * `role` is the application_name suffix DBAs see in pg_stat_activity; `scopeKey` lets an error name the credential.
 */
export function postgresPool(
	fns: IExecuteFunctions,
	role: string,
	credential: string = WAREHOUSE_CREDENTIAL,
	scopeKey: 'warehouse' | 'analytics' = 'warehouse',
): Resources<pg.Pool> {
	return {
		async open(scope: ErrorScope) {
			const conn = await readPostgresConnection(fns, credential);
			scope[scopeKey] = conn;
			return createPool(conn, { role });
		},
		close: (pool) => pool.end().catch(() => undefined),
	};
}
