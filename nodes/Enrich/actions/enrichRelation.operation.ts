import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { enrichRelation } from '../../../src/enrich/enrichRelation';
import { executeItems } from '../../shared/items';
import { n8nFetch } from '../../shared/httpRequest';
import { enrichResources, familiesOf } from './common.descriptions';
import { familyProperties } from './family.descriptions';
import { forOperation } from '../../shared/descriptions';
import { requiredText } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Enrich Relation',
	value: 'enrichRelation',
	action: 'Enrich a warehouse relation',
	description: "Set-based in the warehouse: writes a new relation with the families' columns",
};

const properties: INodeProperties[] = [
	requiredText('Source Relation', 'source', { placeholder: 'intermediate.ledger_transactions' }),
	requiredText('Target Relation', 'target', {
		placeholder: 'intermediate.enr_ledger_transactions',
		description: 'Must be intermediate.enr_&lt;name&gt;; replaced atomically on every run',
	}),
	...familyProperties,
];

export const description = forOperation(option, properties);

/** Set-based in the warehouse: writes a new relation with the families' columns and swaps it in. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, enrichResources(this), async ({ pool, keys }, i) => {
		const cfg = {
			source: this.getNodeParameter('source', i) as string,
			target: this.getNodeParameter('target', i) as string,
			families: familiesOf(this, i, keys),
		};
		return { ...(await enrichRelation(pool, cfg, (m) => this.logger.info(m), n8nFetch(this))) } as unknown as IDataObject;
	});
}
