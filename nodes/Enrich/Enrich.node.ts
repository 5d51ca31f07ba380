import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { operationProperty } from '../shared/descriptions';
import { credentialTestMethods } from '../shared/credentialTest';
import { WAREHOUSE_SLOT } from '../shared/credentialSlots';
import { ENRICHMENT_APIS_CREDENTIAL } from '../shared/credentialTypes';
import { NOT_AN_AGENT_TOOL } from '../shared/toolUse';
import * as enrichItems from './actions/enrichItems.operation';
import * as enrichMartInputs from './actions/enrichMartInputs.operation';
import * as enrichRelation from './actions/enrichRelation.operation';
import * as ingestFxRates from './actions/ingestFxRates.operation';
import * as loadHolidays from './actions/loadHolidays.operation';
import * as loadPlaces from './actions/loadPlaces.operation';
import { router } from './actions/router';

export class Enrich implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Enrich',
		name: 'enrich',
		icon: 'file:enrich.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'Attach geographic, temporal, FX, user-segment and cross-app context to anonymised data',
		defaults: { name: 'Enrich' },
		inputs: ['main'],
		outputs: ['main'],
		// Not an agent tool: Enrich Relation replaces intermediate.enr_* tables that dbt builds on, and the load
		// operations rewrite reference tables every enrichment reads (see NOT_AN_AGENT_TOOL).
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [
			{ ...WAREHOUSE_SLOT },
			// API keys of the FX and geo services, when they need one.
			{ name: ENRICHMENT_APIS_CREDENTIAL, required: false, displayName: 'Enrichment APIs (FX, geo keys; optional)' },
		],
		properties: [
			operationProperty(
				[enrichMartInputs.option, enrichItems.option, enrichRelation.option, ingestFxRates.option, loadHolidays.option, loadPlaces.option],
				'enrichRelation',
			),
			...enrichMartInputs.description,
			...enrichRelation.description,
			...enrichItems.description,
			...ingestFxRates.description,
			...loadHolidays.description,
			...loadPlaces.description,
		],
	};

	methods = { credentialTest: credentialTestMethods };

	execute = router;
}
