import type { ICredentialDataDecryptedObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';
import type { ObjectStoreConfig, PostgresConnection } from '../../src/config/connection.schema';
import { openPipelineContext, type PipelineContext } from '../../src/pipeline/context';
import { objectStoreConfigFromCredential, postgresConfigFromCredential } from './credentialConfig';
import { OBJECT_STORE_CREDENTIAL, POSTGRES_CREDENTIAL_LABELS, SOURCE_CREDENTIAL, WAREHOUSE_CREDENTIAL } from './credentialTypes';
import type { ErrorScope } from './errorDescription';
import { toNodeError } from './nodeErrors';

type CredentialReader = Pick<IExecuteFunctions | ILoadOptionsFunctions, 'getCredentials' | 'getNode'>;

/** Reads any of the Postgres credential types (warehouse, source replica, analytics db) as a connection config. */
export async function readPostgresConnection(fns: CredentialReader, type: string): Promise<PostgresConnection> {
	return postgresConfigFromCredential(await fns.getCredentials<ICredentialDataDecryptedObject>(type), POSTGRES_CREDENTIAL_LABELS[type] ?? 'DataAcuity Postgres');
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

export type NodePipelineContext = PipelineContext & { scope: ErrorScope };

/**
 * One PipelineContext per execution: pools are opened once for all items and always closed, even when the node
 * fails, so a failing workflow never leaks connections into PgBouncer. Errors that escape `run` come out as
 * NodeOperationError/NodeApiError with a description naming the credential or field to fix.
 */
export async function withPipelineContext<T>(
	fns: IExecuteFunctions,
	opts: PipelineOptions,
	run: (ctx: NodePipelineContext) => Promise<T>,
): Promise<T> {
	const scope: ErrorScope = {};
	let ctx: (PipelineContext & { close(): Promise<void> }) | undefined;
	try {
		scope.warehouse = await readWarehouseConnection(fns);
		scope.store = await readObjectStoreConfig(fns);
		if (opts.source) scope.source = await readSourceConnection(fns);
		ctx = openPipelineContext({
			warehouse: scope.warehouse,
			source: scope.source,
			store: scope.store,
			exportTimezone: opts.exportTimezone,
			executionId: fns.getExecutionId(),
			log: (message) => fns.logger.info(message),
		});
		return await run(Object.assign(ctx, { scope }));
	} catch (err) {
		throw toNodeError(fns.getNode(), err, scope);
	} finally {
		if (ctx) {
			await ctx.close();
			ctx.store.client.destroy();
		}
	}
}
