import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { operationProperty } from '../shared/descriptions';
import { credentialTestMethods } from '../shared/credentialTest';
import { ANALYTICS_SLOT, WAREHOUSE_SLOT } from '../shared/credentialSlots';
import { NOT_AN_AGENT_TOOL } from '../shared/toolUse';
import * as push from './actions/push.operation';
import * as listTargets from './actions/listTargets.operation';
import { router } from './actions/router';

export class PushBack implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Push Back',
		name: 'pushBack',
		icon: 'file:pushBack.svg',
		group: ['output'],
		version: 1,
		// A fixed text per operation: the target is often an expression on the incoming item (the hourly workflow pushes
		// one ready-made target per item), which the editor cannot resolve without input data, and a subtitle that
		// fails to resolve renders blank. The node's name says which target it pushes.
		subtitle: '={{ $parameter["operation"] === "listTargets" ? "List targets" : "Push to analytics_db" }}',
		description: "Sync k-anonymous aggregates from warehouse marts into the apps' analytics_db",
		defaults: { name: 'Push Back' },
		inputs: ['main'],
		outputs: ['main'],
		// Not an agent tool: it writes what the apps read in analytics_db and creates and grants roles there, and a
		// custom target runs a query the caller supplies (see NOT_AN_AGENT_TOOL).
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [{ ...WAREHOUSE_SLOT }, { ...ANALYTICS_SLOT }],
		properties: [operationProperty([push.option, listTargets.option], 'push'), ...push.description],
	};

	methods = { credentialTest: credentialTestMethods };

	execute = router;
}
