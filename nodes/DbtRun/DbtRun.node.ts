import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { operationProperty } from '../shared/descriptions';
import { WAREHOUSE_SLOT } from '../shared/credentialSlots';
import { NOT_AN_AGENT_TOOL } from '../shared/toolUse';
import { router } from './actions/router';
import * as runCommand from './actions/runCommand.operation';
import * as triggerCloudJob from './actions/triggerCloudJob.operation';
import * as verifyIncident from './actions/verifyIncident.operation';
import { DBT_CREDENTIAL, DBT_TEST_METHOD } from './dbtCredential';
import { credentialTest } from './methods';

export class DbtRun implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'dbt Run',
		name: 'dbtRun',
		icon: 'file:dbtRun.svg',
		group: ['transform'],
		version: 1,
		subtitle:
			'={{ {"runCommand": $parameter["commandSource"] === "input" ? "dbt (command from input)" : "dbt " + $parameter["command"], "triggerCloudJob": "dbt Cloud job " + $parameter["jobId"], "verifyIncident": "Verify Wolverine incident"}[$parameter["operation"]] }}',
		description: 'Run dbt Core or a dbt Cloud job and output one item per dbt node, or verify a Wolverine incident webhook',
		defaults: { name: 'dbt Run' },
		inputs: ['main'],
		outputs: ['main'],
		// Not an agent tool: a full refresh or a build rewrites the warehouse's staging, intermediate and marts
		// layers that Push Back serves to the apps (see NOT_AN_AGENT_TOOL).
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [
			{ name: DBT_CREDENTIAL, required: true, testedBy: DBT_TEST_METHOD, displayName: 'dbt (Core or Cloud)' },
			{ ...WAREHOUSE_SLOT, displayName: 'Warehouse (dbt Login)', displayOptions: { show: { operation: ['runCommand', 'verifyIncident'] } } },
		],
		hints: [
			{
				message: 'The last item is the run summary (kind "summary"); the others are one per dbt model, test, seed or source.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'afterExecution',
				displayCondition: '={{ $parameter["operation"] !== "verifyIncident" }}',
			},
		],
		properties: [
			operationProperty([runCommand.option, triggerCloudJob.option, verifyIncident.option], 'runCommand'),
			...runCommand.description,
			...triggerCloudJob.description,
			...verifyIncident.description,
		],
	};

	methods = { credentialTest };

	execute = router;
}
