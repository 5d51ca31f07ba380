import type { ICredentialDataDecryptedObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';
import type { ObjectStoreConfig, PostgresConnection } from '../../src/config/connection.schema';
import { openPipelineContext, type PipelineContext } from '../../src/pipeline/context';
import { objectStoreConfigFromCredential, postgresConfigFromCredential } from './credentialConfig';
import { OBJECT_STORE_CREDENTIAL, POSTGRES_CREDENTIAL_LABELS, SOURCE_CREDENTIAL, WAREHOUSE_CREDENTIAL } from './credentialTypes';
import type { ErrorScope } from './errorDescription';
import type { Resources } from './items';

type CredentialReader = Pick<IExecuteFunctions | ILoadOptionsFunctions, 'getCredentials' | 'getNode'>;

/** Reads any of the Postgres credential types (warehouse, source replica, analytics db) as a connection config. */
export async function readPostgresConnection(fns: CredentialReader, type: string): Promise<PostgresConnection> {
	return postgresConfigFromCredential(
		await fns.getCredentials<ICredentialDataDecryptedObject>(type),
		POSTGRES_CREDENTIAL_LABELS[type] ?? 'DataAcuity Postgres',
	);
}

export const readWarehouseConnection = (fns: CredentialReader) => readPostgresConnection(fns, WAREHOUSE_CREDENTIAL);
export const readSourceConnection = (fns: CredentialReader) => readPostgresConnection(fns, SOURCE_CREDENTIAL);

export async function readObjectStoreConfig(fns: CredentialReader): Promise<ObjectStoreConfig> {
	return objectStoreConfigFromCredential(await fns.getCredentials<ICredentialDataDecryptedObject>(OBJECT_STORE_CREDENTIAL));
}

export interface PipelineOptions {
	/** Read the DataAcuity Postgres Source Replica credential (extract nodes); otherwise sources use the warehouse login. */
	source?: boolean;
	exportTimezone?: string;
}

export type NodePipelineContext = PipelineContext & { scope: ErrorScope; close(): Promise<void> };

/**
 * One PipelineContext per execution, opened once for all items; the extract/load nodes run through executeItems
 * with it. Closing also destroys the S3 client, whose sockets would otherwise keep the worker busy.
 */
export function pipelineResources(fns: IExecuteFunctions, opts: PipelineOptions): Resources<NodePipelineContext> {
	return {
		async open(scope) {
			scope.warehouse = await readWarehouseConnection(fns);
			scope.store = await readObjectStoreConfig(fns);
			if (opts.source) scope.source = await readSourceConnection(fns);
			const ctx = openPipelineContext({
				warehouse: scope.warehouse,
				source: scope.source,
				store: scope.store,
				exportTimezone: opts.exportTimezone,
				executionId: fns.getExecutionId(),
				log: (message) => fns.logger.info(message),
			});
			return Object.assign(ctx, { scope });
		},
		async close(ctx) {
			await ctx.close();
			ctx.store.client.destroy();
		},
	};
}
