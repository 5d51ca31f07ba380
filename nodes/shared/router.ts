import { NodeOperationError, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

/** One operation of a node: its execute runs every input item through executeItems/executeBatch. */
export interface NodeOperation {
	execute(this: IExecuteFunctions): Promise<INodeExecutionData[]>;
}

/**
 * A node's execute(): reads its Operation parameter and hands over to that operation's file (n8n's own
 * actions/router.ts pattern). The operation is read once, from the first item, as n8n's nodes do.
 */
export function operationRouter(operations: Record<string, NodeOperation>, parameter = 'operation') {
	return async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const name = this.getNodeParameter(parameter, 0) as string;
		const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
		if (!operation)
			throw new NodeOperationError(this.getNode(), `The operation "${name}" is not supported`, {
				description: `Choose one of: ${Object.keys(operations).join(', ')}.`,
			});
		return [await operation.execute.call(this)];
	};
}
