import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { credentialTestMethods } from '../shared/credentialTest';
import { OBJECT_STORE_SLOT, SOURCE_SLOT, WAREHOUSE_SLOT } from '../shared/credentialSlots';
import { SECRETS_CREDENTIAL } from '../Anonymise/secretsCredential';
import { registeredTableOptions, sourceDatabaseOptions } from '../shared/registryOptions';
import { NOT_AN_AGENT_TOOL } from '../shared/toolUse';
import { options, tableSelection } from './actions/common.descriptions';
import * as extract from './actions/extract.operation';
import * as reconcile from './actions/reconcile.operation';
import { router } from './actions/router';

/**
 * Reconcile lives here, not in a node of its own: it reads the same three credentials (source replica, warehouse,
 * object store for a repair's CSV) and the same registered tables, and n8n users look for "compare the source with
 * bronze" where the source is read. docs/reconcile.md.
 */
export class WatermarkExtract implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Watermark Extract',
		name: 'watermarkExtract',
		icon: 'file:watermarkExtract.svg',
		group: ['input'],
		// 1.1 added the options Load While Extracting and Parallel Tables; their defaults keep version 1's behaviour.
		version: [1, 1.1],
		defaultVersion: 1.1,
		subtitle:
			'={{ ($parameter["operation"] === "reconcile" ? "Reconcile: " : "") + ($parameter["selection"] === "due" ? "All tables due now" : $parameter["table"]) }}',
		description: 'Extract new rows of registered source tables to CSV files in the object store, by watermark, or reconcile bronze with the source',
		defaults: { name: 'Watermark Extract' },
		inputs: ['main'],
		outputs: ['main'],
		// Not an agent tool: it claims runs and moves watermarks in dwh_control on a schedule (see NOT_AN_AGENT_TOOL).
		usableAsTool: NOT_AN_AGENT_TOOL,
		credentials: [
			{ ...WAREHOUSE_SLOT },
			{ ...SOURCE_SLOT },
			{ ...OBJECT_STORE_SLOT },
			{
				// Optional: its HMAC key tells the rows of forgotten people apart from lost rows (docs/reconcile.md).
				name: SECRETS_CREDENTIAL,
				required: false,
				displayName: 'Anonymisation Secrets (Forgotten Users)',
				displayOptions: { show: { operation: ['reconcile'] } },
			},
		],
		hints: [
			{
				message:
					'Tables with status "failed" or "skipped" are in the output with the reason in "message"; Blob Load Bronze passes them through without loading.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'afterExecution',
				displayCondition: '={{ $parameter["operation"] !== "reconcile" }}',
			},
			{
				message:
					'One item per table with counts only; the differing keys are in dwh_control.reconcile_findings (ETL login), and differences left raise v_pipeline_alerts.',
				type: 'info',
				location: 'outputPane',
				whenToDisplay: 'afterExecution',
				displayCondition: '={{ $parameter["operation"] === "reconcile" }}',
			},
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{
						name: 'Extract',
						value: 'extract',
						action: 'Extract new rows to CSV',
						description: 'New rows of registered source tables, by watermark, as CSV files in exports/',
					},
					{
						name: 'Reconcile',
						value: 'reconcile',
						action: 'Reconcile bronze with the source',
						description: 'Prove bronze equals the source: find rows missing, deleted at the source or stale, by key, and optionally repair them',
					},
				],
				default: 'extract',
			},
			...tableSelection,
			...extract.description,
			...reconcile.description,
			options,
		],
	};

	methods = {
		loadOptions: {
			getRegisteredTables: registeredTableOptions,
			getSourceDatabases: sourceDatabaseOptions,
		},
		credentialTest: credentialTestMethods,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return router.call(this);
	}
}
