import { updateDisplayOptions } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { findFlaggedUsers, forgetUsers, type ForgetRequest } from '../../../src/anonymise/forget';
import { loadPolicies } from '../../../src/anonymise/policyLoader';
import { parseRelationName } from '../../../src/privacy/piiScan';
import { createPool } from '../../../src/transport/postgres';
import { ANALYTICS_CREDENTIAL } from '../../shared/credentialTypes';
import { forOperation, showWhen } from '../../shared/descriptions';
import { executeItems } from '../../shared/items';
import { booleanParameter, numberParameter, optionsParameter, requiredText, textParameter } from '../../shared/parameters';
import { readPostgresConnection } from '../../shared/pipelineContext';
import { anonymiseSession, list, options, optionsOf, text } from './common.descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Forget Users',
	value: 'forgetUsers',
	action: 'Forget users right to be forgotten',
	description: 'Delete users from raw, staging, intermediate, marts and (optionally) analytics_db, purge the vault, write the audit',
};

const properties: INodeProperties[] = [
	optionsParameter('Users', 'userSource', { default: 'flagged' }, [
		{ name: 'Given User IDs', value: 'ids' },
		{ name: 'Users Flagged Deleted', value: 'flagged', description: 'Rows of a users relation whose deleted-at column is set and who are not yet forgotten' },
	]),
	...updateDisplayOptions(showWhen('userSource', 'ids'), [
		requiredText('User IDs', 'userIds', { default: '={{ $json.user_id }}', description: 'Comma-separated TGN user IDs; evaluated per input item' }),
	]),
	...updateDisplayOptions(showWhen('userSource', 'flagged'), [
		textParameter('Users Relation', 'flaggedRelation', { default: 'raw.auth_db__users' }),
		textParameter('ID Column', 'idColumn', { default: 'id' }),
		textParameter('Deleted-At Column', 'flagColumn', { default: 'deleted_at' }),
		numberParameter('Max Users per Run', 'flaggedLimit', 500, { typeOptions: { minValue: 1 } }),
	]),
	textParameter('Reason', 'reason', { default: 'POPIA/GDPR erasure request', description: 'Stored with each audit request' }),
	booleanParameter(
		'Also Forget In Analytics DB',
		'forgetInAnalyticsDb',
		false,
		'Whether to also delete the users from every analytics_db table carrying their hash (the push-back targets), in the same run and audit; otherwise they leave analytics_db when each target is next pushed',
	),
	options,
];

export const description = forOperation(option, properties);

/** Right to be forgotten: deletes the users from raw, staging and intermediate, purges the vault, writes the audit. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, anonymiseSession(this), async ({ deps }, i) => {
		const policies = [...loadPolicies(optionsOf(this, i).policiesDir).values()];
		let requests: ForgetRequest[];
		if (this.getNodeParameter('userSource', i, 'flagged') === 'ids') {
			requests = list(this.getNodeParameter('userIds', i)).map((userId) => ({ userId }));
		} else {
			const rel = parseRelationName(this.getNodeParameter('flaggedRelation', i));
			const columns = { idColumn: text(this, 'idColumn', i), flagColumn: text(this, 'flagColumn', i) };
			requests = await findFlaggedUsers(deps, { ...rel, ...columns }, this.getNodeParameter('flaggedLimit', i, 500) as number);
		}
		const analytics = this.getNodeParameter('forgetInAnalyticsDb', i, false)
			? createPool(await readPostgresConnection(this, ANALYTICS_CREDENTIAL), { role: 'anonymise' })
			: null;
		try {
			// Earlier requests whose vault purge did not happen are finished first (their user ids are gone).
			const outcomes = await forgetUsers(deps, {
				requests,
				policies,
				reason: this.getNodeParameter('reason', i, '') as string,
				completePartial: true,
				analytics,
			});
			return outcomes as unknown as IDataObject[];
		} finally {
			await analytics?.end().catch(() => undefined);
		}
	});
}
