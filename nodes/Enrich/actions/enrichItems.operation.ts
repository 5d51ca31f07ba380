import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodePropertyOptions } from 'n8n-workflow';
import { enrichItems } from '../../../src/enrich/enrichItems';
import { executeBatch } from '../../shared/items';
import { n8nFetch } from '../../shared/httpRequest';
import { enrichResources, familiesOf } from './common.descriptions';
import { familyProperties } from './family.descriptions';
import { forOperation } from '../../shared/descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Enrich Items',
	value: 'enrichItems',
	action: 'Enrich the input items',
	description: 'Small flows: the same families over the input items',
};

export const description = forOperation(option, familyProperties);

/** The same families over the input items, as one batch; output item i is input item i enriched. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeBatch(this, enrichResources(this), async ({ pool, keys }, items) => {
		const out = await enrichItems(
			pool,
			items.map((it) => it.json),
			{ families: familiesOf(this, 0, keys) },
			n8nFetch(this),
		);
		return out.map((json, i) => ({ json: json as IDataObject, pairedItem: { item: i } }));
	});
}
