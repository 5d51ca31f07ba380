import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { loadPolicies } from '../../../src/anonymise/policyLoader';
import { rotateSalt } from '../../../src/anonymise/rotateSalt';
import { forOperation } from '../../shared/descriptions';
import { executeItems } from '../../shared/items';
import { requiredText } from '../../shared/parameters';
import { anonymiseSession, options, optionsOf, text } from './common.descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Rotate Salt',
	value: 'rotateSalt',
	action: 'Rotate a salt and re key',
	description: 'Activate the newest salt version and rebuild every table hashing with it, in one transaction',
};

const properties: INodeProperties[] = [
	requiredText('Salt Type', 'saltType', { default: 'users', description: 'Salt type from the credential; its newest version becomes active' }),
	options,
];

export const description = forOperation(option, properties);

/** Activates the newest salt version and rebuilds every table hashing with it, in one transaction. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, anonymiseSession(this), async ({ deps }, i) => {
		const { policiesDir, asOf } = optionsOf(this, i);
		const policies = [...loadPolicies(policiesDir).values()];
		return { ...(await rotateSalt(deps, { saltType: text(this, 'saltType', i), policies, asOf })) } as unknown as IDataObject;
	});
}
