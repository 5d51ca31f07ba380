import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { explainError, type ErrorScope } from './errorDescription';
import { toNodeError } from './nodeErrors';
import { withPipelineContext, type NodePipelineContext, type PipelineOptions } from './pipelineContext';

/** The item a node emits instead of failing when "Continue On Fail" is set; it keeps the input's pairing. */
export function errorItem(err: unknown, itemIndex: number, scope: ErrorScope = {}, extra: IDataObject = {}): INodeExecutionData {
	const x = explainError(err, scope);
	return { json: { ...extra, error: x.message, description: x.description }, pairedItem: { item: itemIndex } };
}

/**
 * Runs `handle` once per input item. Each result is paired with its input item; an error either fails the node
 * (naming the item) or, with Continue On Fail, becomes an error item while the remaining items still run.
 */
export async function mapItems(
	fns: IExecuteFunctions,
	scope: ErrorScope,
	handle: (itemIndex: number, item: INodeExecutionData) => Promise<IDataObject | IDataObject[]>,
	/** Fields the Continue On Fail error item carries besides error/description (e.g. table and runId). */
	errorFields: (itemIndex: number) => IDataObject = () => ({}),
): Promise<INodeExecutionData[]> {
	const out: INodeExecutionData[] = [];
	const items = fns.getInputData();
	for (let i = 0; i < items.length; i++) {
		try {
			const result = await handle(i, items[i]);
			for (const json of Array.isArray(result) ? result : [result]) out.push({ json, pairedItem: { item: i } });
		} catch (err) {
			if (fns.continueOnFail()) {
				out.push(errorItem(err, i, scope, safeFields(errorFields, i)));
				continue;
			}
			throw toNodeError(fns.getNode(), err, scope, i);
		}
	}
	return out;
}

/**
 * The whole execute() of a pipeline node: one PipelineContext for all items, `handle` per item via mapItems. When
 * the context cannot even be opened (credential incomplete or unreadable) and Continue On Fail is set, every input
 * item becomes an error item, as n8n users expect from that setting, instead of the node failing.
 */
export async function executePipelineItems(
	fns: IExecuteFunctions,
	opts: PipelineOptions,
	handle: (ctx: NodePipelineContext, itemIndex: number, item: INodeExecutionData) => Promise<IDataObject | IDataObject[]>,
	errorFields: (itemIndex: number) => IDataObject = () => ({}),
): Promise<INodeExecutionData[]> {
	try {
		return await withPipelineContext(fns, opts, async (ctx) => mapItems(fns, ctx.scope, (i, item) => handle(ctx, i, item), errorFields));
	} catch (err) {
		if (!fns.continueOnFail()) throw err;
		return fns.getInputData().map((_, i) => errorItem(err, i, {}, safeFields(errorFields, i)));
	}
}

/** Collecting the extra fields must not hide the original error. */
function safeFields(errorFields: (itemIndex: number) => IDataObject, itemIndex: number): IDataObject {
	try {
		return errorFields(itemIndex);
	} catch {
		return {};
	}
}
