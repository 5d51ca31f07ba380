import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { explainError, type ErrorScope } from './errorDescription';
import { areaOf } from './errorHints';
import { toNodeError } from './nodeErrors';

/** What one input item produced: one output item, or several (all paired with that input item). */
export type ItemOutput = IDataObject | IDataObject[];

/**
 * What an operation opens once for all items (pools, a session, the pipeline context) and closes after them. `open`
 * records each connection it read in `scope` as soon as it has it, so an error can name the credential to check.
 */
export interface Resources<R> {
	open(scope: ErrorScope): Promise<R>;
	close(resources: R): Promise<void>;
}

export const NO_RESOURCES: Resources<void> = { open: async () => undefined, close: async () => undefined };

export interface ItemOptions {
	/** Fields the Continue On Fail error item carries besides error/description (e.g. table and runId). */
	errorFields?: (itemIndex: number) => IDataObject;
}

/** The item a node emits instead of failing when "Continue On Fail" is set; it keeps the input's pairing. */
export function errorItem(err: unknown, itemIndex: number, scope: ErrorScope = {}, extra: IDataObject = {}): INodeExecutionData {
	const x = explainError(err, scope);
	return { json: { ...extra, error: x.message, description: x.description }, pairedItem: { item: itemIndex } };
}

/**
 * The execute() of every operation of every node: opens `resources`, runs `handle` once per input item, closes them.
 * Each result is paired with its input item. An item's error fails the node naming the item, or with Continue On
 * Fail becomes an error item while the remaining items still run.
 */
export async function executeItems<R>(
	fns: IExecuteFunctions,
	resources: Resources<R>,
	handle: (resources: R, itemIndex: number, item: INodeExecutionData) => Promise<ItemOutput>,
	opts: ItemOptions = {},
): Promise<INodeExecutionData[]> {
	return withResources(fns, resources, opts, async (r, scope) => {
		const out: INodeExecutionData[] = [];
		const items = fns.getInputData();
		for (let i = 0; i < items.length; i++) {
			try {
				const result = await handle(r, i, items[i]);
				for (const json of Array.isArray(result) ? result : [result]) out.push({ json, pairedItem: { item: i } });
			} catch (err) {
				if (!fns.continueOnFail()) throw toNodeError(fns.getNode(), err, scope, i);
				out.push(errorItem(err, i, scope, safeFields(opts.errorFields, i)));
			}
		}
		return out;
	});
}

/**
 * For operations that treat the input as one batch (Anonymise Items, Enrich Items): `handle` gets every item and
 * pairs each output item itself. When the batch fails, Continue On Fail turns every input item into an error item.
 */
export async function executeBatch<R>(
	fns: IExecuteFunctions,
	resources: Resources<R>,
	handle: (resources: R, items: INodeExecutionData[]) => Promise<INodeExecutionData[]>,
): Promise<INodeExecutionData[]> {
	return withResources(fns, resources, {}, async (r) => handle(r, fns.getInputData()));
}

/**
 * Resources are always closed, even when the node fails, so a failing workflow never leaks connections into
 * PgBouncer. When they cannot even be opened (a credential incomplete or unreadable) and Continue On Fail is set,
 * every input item becomes an error item, as n8n users expect from that setting, instead of the node failing.
 */
async function withResources<R>(
	fns: IExecuteFunctions,
	resources: Resources<R>,
	opts: ItemOptions,
	run: (resources: R, scope: ErrorScope) => Promise<INodeExecutionData[]>,
): Promise<INodeExecutionData[]> {
	const scope: ErrorScope = { area: areaOf(fns.getNode().type) };
	try {
		const r = await resources.open(scope);
		try {
			return await run(r, scope);
		} finally {
			await resources.close(r);
		}
	} catch (err) {
		if (!fns.continueOnFail()) throw toNodeError(fns.getNode(), err, scope);
		return fns.getInputData().map((_, i) => errorItem(err, i, scope, safeFields(opts.errorFields, i)));
	}
}

/** Collecting the extra fields must not hide the original error. */
function safeFields(errorFields: ItemOptions['errorFields'], itemIndex: number): IDataObject {
	try {
		return errorFields?.(itemIndex) ?? {};
	} catch {
		return {};
	}
}
