import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodePropertyOptions } from 'n8n-workflow';
import { listTargets } from '../../../src/pushback/listTargets';
import { executeItems } from '../../shared/items';
import { postgresPool } from '../../shared/resources';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'List Targets',
	value: 'listTargets',
	action: 'List push back targets',
	description: 'Ready-made targets and every target in the run log, with the last run',
};

/** Ready-made targets and every target in the run log, with the last run; reads the warehouse only. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, postgresPool(this, 'pushback'), async (pool) => (await listTargets(pool)).map((t) => ({ ...t } as IDataObject)));
}
