import type { INodeType, INodeTypeDescription } from 'n8n-workflow';
import { operationProperty } from '../shared/descriptions';
import { ANALYTICS_SLOT, OBJECT_STORE_SLOT, WAREHOUSE_SLOT } from '../shared/credentialSlots';
import { NOT_AN_AGENT_TOOL } from '../shared/toolUse';
import * as anonymiseItems from './actions/anonymiseItems.operation';
import * as applyRetention from './actions/applyRetention.operation';
import * as anonymiseRelation from './actions/anonymiseRelation.operation';
import * as forgetUsers from './actions/forgetUsers.operation';
import * as kAnonymityReport from './actions/kAnonymityReport.operation';
import * as piiCheck from './actions/piiCheck.operation';
import * as rotateSalt from './actions/rotateSalt.operation';
import * as verifyResidue from './actions/verifyResidue.operation';
import { router } from './actions/router';
import { credentialTest } from './methods';
import { SECRETS_CREDENTIAL, SECRETS_TEST_METHOD } from './secretsCredential';

export class Anonymise implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Anonymise',
		name: 'anonymise',
		icon: 'file:anonymise.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'The compliance gate: hash, tokenise, generalise or suppress PII per policy, with PII checks, salt rotation and right-to-be-forgotten',
		defaults: { name: 'Anonymise' },
		inputs: ['main'],
		outputs: ['main'],
		// Not an agent tool: it holds the salts and the token vault, deletes users for good (Forget Users) and
		// re-keys every hashed table (Rotate Salt); see NOT_AN_AGENT_TOOL.
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [
			{ ...WAREHOUSE_SLOT },
			{
				name: SECRETS_CREDENTIAL,
				required: true,
				testedBy: SECRETS_TEST_METHOD,
				displayName: 'Anonymisation Secrets (salts, vault key)',
				displayOptions: { show: { operation: ['anonymiseRelation', 'anonymiseItems', 'rotateSalt', 'forgetUsers', 'verifyResidue'] } },
			},
			// Shown for Forget Users and read only with Also Forget In Analytics DB (which then fails naming this slot when it is
			// empty). A slot whose display rule reads that boolean parameter kept n8n 1.123's editor from rendering the node.
			{
				...ANALYTICS_SLOT,
				required: false,
				displayName: 'analytics_db (Also Forget In Analytics DB, Search Analytics DB)',
				displayOptions: { show: { operation: ['forgetUsers', 'verifyResidue'] } },
			},
			{
				...OBJECT_STORE_SLOT,
				required: false,
				displayName: 'Object Store (the CSV archive)',
				displayOptions: { show: { operation: ['applyRetention', 'verifyResidue'] } },
			},
		],
		properties: [
			operationProperty(
				[
					anonymiseItems.option,
					anonymiseRelation.option,
					applyRetention.option,
					forgetUsers.option,
					kAnonymityReport.option,
					piiCheck.option,
					rotateSalt.option,
					verifyResidue.option,
				],
				'anonymiseRelation',
			),
			...anonymiseRelation.description,
			...anonymiseItems.description,
			...rotateSalt.description,
			...forgetUsers.description,
			...piiCheck.description,
			...kAnonymityReport.description,
			...applyRetention.description,
			...verifyResidue.description,
		],
	};

	methods = { credentialTest };

	execute = router;
}
