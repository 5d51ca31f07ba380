import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { DbtCloudJobInput } from '../../../src/dbt/cloud/cloudConfig.schema';
import { runDbtCloudJob } from '../../../src/dbt/cloud/dbtCloudClient';
import type { DbtCommandInput } from '../../../src/dbt/command.schema';
import { n8nFetch } from '../../shared/httpRequest';
import { executeItems } from '../../shared/items';
import { cloudConfigFromCredential, DBT_CREDENTIAL } from '../dbtCredential';
import { selectionFields, selectionOf } from './common.descriptions';
import { outcomeItems } from './outcome';
import { forOperation, optionsCollection, showWhen } from '../../shared/descriptions';
import { numberParameter, optionsParameter, textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Trigger Dbt Cloud Job',
	value: 'triggerCloudJob',
	action: 'Trigger a dbt cloud job',
	description: 'Start a dbt Cloud job and wait for it to finish',
};

const properties: INodeProperties[] = [
	numberParameter('Job ID', 'jobId', 0, { required: true, description: 'The dbt Cloud job to trigger (the number in its URL)' }),
	optionsParameter('Steps', 'cloudCommand', { default: 'job' }, [
		{ name: "Job's Own Steps", value: 'job' },
		{ name: 'Override: Build', value: 'build' },
		{ name: 'Override: Run', value: 'run' },
		{ name: 'Override: Source Freshness', value: 'source freshness' },
		{ name: 'Override: Test', value: 'test' },
	]),
	...selectionFields(showWhen('cloudCommand', 'build', 'run', 'test', 'source freshness')),
	optionsCollection('cloudOptions', [
		textParameter('Cause', 'cause', { default: 'Triggered by n8n (DataAcuity DbtRun)', description: 'Shown on the run in dbt Cloud' }),
		textParameter('Git Branch', 'gitBranch', { description: 'Run the job against this branch instead of its default' }),
		numberParameter('Poll Interval (Seconds)', 'pollIntervalSeconds', 10, { typeOptions: { minValue: 1 } }),
		numberParameter('Timeout (Minutes)', 'timeoutMinutes', 120, {
			typeOptions: { minValue: 1 },
			description: 'Stop waiting after this long (the job keeps running in dbt Cloud)',
		}),
	]),
];

export const description = forOperation(option, properties);

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
