import { updateDisplayOptions, type IExecuteFunctions, type INodeExecutionData, type INodeProperties, type INodePropertyOptions } from 'n8n-workflow';
import type { DbtCloudJobInput } from '../../../src/dbt/cloud/cloudConfig.schema';
import { runDbtCloudJob } from '../../../src/dbt/cloud/dbtCloudClient';
import type { DbtCommandInput } from '../../../src/dbt/command.schema';
import { n8nFetch } from '../../shared/httpRequest';
import { executeItems } from '../../shared/items';
import { cloudConfigFromCredential, DBT_CREDENTIAL } from '../dbtCredential';
import { selectionFields, selectionOf } from './common.descriptions';
import { outcomeItems } from './outcome';
import { optionsCollection } from '../../shared/descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Trigger Dbt Cloud Job',
	value: 'triggerCloudJob',
	action: 'Trigger a dbt cloud job',
	description: 'Start a dbt Cloud job and wait for it to finish',
};

const properties: INodeProperties[] = [
	{
		displayName: 'Job ID',
		name: 'jobId',
		type: 'number',
		default: 0,
		required: true,
		description: 'The dbt Cloud job to trigger (the number in its URL)',
	},
	{
		displayName: 'Steps',
		name: 'cloudCommand',
		type: 'options',
		options: [
			{ name: "Job's Own Steps", value: 'job' },
			{ name: 'Override: Build', value: 'build' },
			{ name: 'Override: Run', value: 'run' },
			{ name: 'Override: Source Freshness', value: 'source freshness' },
			{ name: 'Override: Test', value: 'test' },
		],
		default: 'job',
	},
	...selectionFields({ show: { cloudCommand: ['build', 'run', 'test', 'source freshness'] } }),
	optionsCollection('cloudOptions', [
		{ displayName: 'Cause', name: 'cause', type: 'string', default: 'Triggered by n8n (DataAcuity DbtRun)', description: 'Shown on the run in dbt Cloud' },
		{ displayName: 'Git Branch', name: 'gitBranch', type: 'string', default: '', description: 'Run the job against this branch instead of its default' },
		{ displayName: 'Poll Interval (Seconds)', name: 'pollIntervalSeconds', type: 'number', typeOptions: { minValue: 1 }, default: 10 },
		{
			displayName: 'Timeout (Minutes)',
			name: 'timeoutMinutes',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 120,
			description: 'Stop waiting after this long (the job keeps running in dbt Cloud)',
		},
	]),
];

export const description = updateDisplayOptions({ show: { operation: ['triggerCloudJob'] } }, properties);

/** Starts the dbt Cloud job once per item and waits for it; requests go through n8n's HTTP helper (proxies). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const resources = { open: async () => this.getCredentials(DBT_CREDENTIAL), close: async () => undefined };
	return executeItems(this, resources, async (dbt, i) => {
		const o = this.getNodeParameter('cloudOptions', i, {}) as { cause?: string; gitBranch?: string; pollIntervalSeconds?: number; timeoutMinutes?: number };
		const steps = this.getNodeParameter('cloudCommand', i, 'job') as string;
		const override = steps === 'job' ? {} : selectionOf(this, i, steps as DbtCommandInput['command']);
		const cfg = cloudConfigFromCredential(dbt, { pollIntervalMs: (o.pollIntervalSeconds ?? 10) * 1000, timeoutMs: (o.timeoutMinutes ?? 120) * 60_000 });
		const job = { jobId: this.getNodeParameter('jobId', i) as number, cause: o.cause || undefined, gitBranch: o.gitBranch || undefined, ...override };
		const outcome = await runDbtCloudJob(cfg, job as DbtCloudJobInput, { signal: this.getExecutionCancelSignal?.(), fetchImpl: n8nFetch(this) });
		return outcomeItems(this, i, outcome);
	});
}
