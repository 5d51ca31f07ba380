import type { ICredentialDataDecryptedObject, IExecuteFunctions, ILoadOptionsFunctions } from 'n8n-workflow';
import type { ObjectStoreConfig, PostgresConnection } from '../../src/config/connection.schema';
import { openPipelineContext, type PipelineContext } from '../../src/pipeline/context';
import { objectStoreConfigFromCredential, postgresConfigFromCredential } from './credentialConfig';
import { OBJECT_STORE_CREDENTIAL, SOURCE_CREDENTIAL, WAREHOUSE_CREDENTIAL } from './credentialTypes';
import type { ErrorScope } from './errorDescription';
import { toNodeError } from './nodeErrors';

type CredentialReader = Pick<IExecuteFunctions | ILoadOptionsFunctions, 'getCredentials' | 'getNode'>;

export async function readWarehouseConnection(fns: CredentialReader): Promise<PostgresConnection> {
	return postgresConfigFromCredential(await fns.getCredentials<ICredentialDataDecryptedObject>(WAREHOUSE_CREDENTIAL), 'DataAcuity Postgres');
}

export async function readSourceConnection(fns: CredentialReader): Promise<PostgresConnection> {
	return postgresConfigFromCredential(await fns.getCredentials<ICredentialDataDecryptedObject>(SOURCE_CREDENTIAL), 'DataAcuity Postgres Source Replica');
}

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
