import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodePropertyOptions } from 'n8n-workflow';
import { anonymiseItemsWithRunLog } from '../../../src/anonymise/itemRun';
import { loadPolicyFor } from '../../../src/anonymise/policyLoader';
import { policyTable } from '../../../src/anonymise/runner';
import { explainError } from '../../shared/errorDescription';
import { executeBatch } from '../../shared/items';
import { anonymiseSession, options, optionsOf, sourceDb, table, text } from './common.descriptions';
import { forOperation } from '../../shared/descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Anonymise Items',
	value: 'anonymiseItems',
	action: 'Anonymise the input items',
	description: 'Small flows: apply a policy table to the input items',
};

export const description = forOperation(option, [sourceDb, table, options]);

/**
 * One policy table for the whole input: the items are a batch, as set mode's rows are. Suppressed rows have no
 * output item; every other output item is paired with the input item it came from.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeBatch(this, anonymiseSession(this), async ({ deps }, items) => {
		const { policiesDir, asOf } = optionsOf(this, 0);
		const loaded = loadPolicyFor(text(this, 'sourceDb', 0), policiesDir);
		const table = policyTable(loaded.policy, text(this, 'table', 0));
		const out = await anonymiseItemsWithRunLog(
			deps,
			loaded,
			table,
			asOf,
			items.map((it) => it.json),
			{ continueOnFail: this.continueOnFail() },
		);
		// Continue On Fail: items the PII gate held back become error items in input order, naming field and detector.
		const rows: INodeExecutionData[] = [
			...out.rows.map((json, j) => ({ json: json as IDataObject, pairedItem: { item: out.positions[j] } })),
			...out.blocked.map(({ item, error }) => ({ json: { error: error.message, description: explainError(error).description }, pairedItem: { item } })),
		];
		return rows.sort((a, b) => (a.pairedItem as { item: number }).item - (b.pairedItem as { item: number }).item);
	});
}
