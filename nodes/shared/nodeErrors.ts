import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';
import { explainError, isN8nError, type ErrorScope } from './errorDescription';
import { areaOf } from './errorHints';

/**
 * Wraps any error in the n8n error class the editor renders best. The API error gets a plain object rather than
 * the raw error, because NodeApiError replaces messages containing ECONNREFUSED & co. with generic text, and the
 * point here is the specific text.
 */
export function toNodeError(node: INode, err: unknown, scope: ErrorScope = {}, itemIndex?: number): NodeOperationError | NodeApiError {
	if (err instanceof NodeOperationError || err instanceof NodeApiError) return err;
	if (isN8nError(err)) return err as NodeOperationError;
	const x = explainError(err, { area: areaOf(node.type), ...scope });
	if (x.kind === 'api') {
		const body: JsonObject = { message: x.message, description: x.description };
		return new NodeApiError(node, body, { message: x.message, description: x.description, httpCode: x.httpCode, itemIndex });
	}
	return new NodeOperationError(node, err instanceof Error ? withoutRawText(err, x.message) : x.message, {
		message: x.message,
		description: x.description,
		itemIndex,
	});
}

/**
 * n8n keeps the error it is given as the cause and stores its stack with the execution; a driver error's message,
 * detail and context can quote row values, so only the explained (sanitised) message and the stack frames go on.
 */
function withoutRawText(err: Error, message: string): Error {
	const safe = new Error(message);
	safe.name = err.name;
	const frames = (err.stack ?? '').split('\n').filter((l) => /^\s+at /.test(l));
	safe.stack = [`${err.name}: ${message}`, ...frames].join('\n');
	return safe;
}
