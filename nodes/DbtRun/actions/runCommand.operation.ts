import { NodeOperationError } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type { DbtCommandInput } from '../../../src/dbt/command.schema';
import { runDbt } from '../../../src/dbt/runDbt';
import { redactErrorText } from '../../../src/privacy/safeErrorText';
import type { ErrorScope } from '../../shared/errorDescription';
import { executeItems } from '../../shared/items';
import { readWarehouseConnection } from '../../shared/pipelineContext';
import { coreConfigFromCredential, DBT_CREDENTIAL } from '../dbtCredential';
import { selectionFields, selectionOf } from './common.descriptions';
import { outcomeItems } from './outcome';
import { forOperation, optionsCollection, showWhen } from '../../shared/descriptions';
import { booleanParameter, numberParameter, optionsParameter, textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Run Dbt Command',
	value: 'runCommand',
	action: 'Run a dbt command',
	description: 'Run dbt Core (build, run, test, source freshness, seed, retry)',
};

const fromParameters = showWhen('commandSource', 'parameters');

const properties: INodeProperties[] = [
	optionsParameter('Command From', 'commandSource', { default: 'parameters', noDataExpression: true }, [
		{ name: 'Node Parameters', value: 'parameters' },
		{ name: 'Input Item (dbtCommand Field)', value: 'input', description: 'Use the dbtCommand that "Verify Incident Webhook" output' },
	]),
	optionsParameter('Command', 'command', { default: 'build', displayOptions: fromParameters }, [
		{ name: 'Build', value: 'build', description: 'Run models, tests, seeds and snapshots in DAG order' },
		{ name: 'Retry', value: 'retry', description: 'Rerun only what failed or was skipped in an earlier run (set Retry Of)' },
		{ name: 'Run', value: 'run', description: 'Build models only' },
		{ name: 'Seed', value: 'seed', description: 'Load CSV seeds' },
		{ name: 'Source Freshness', value: 'source freshness', description: 'Check when bronze was last loaded' },
		{ name: 'Test', value: 'test', description: 'Run data tests only' },
	]),
	...selectionFields(fromParameters),
	optionsCollection('options', [
		booleanParameter('Fail Fast', 'failFast', false, 'Whether dbt stops at the first failure (--fail-fast)'),
		numberParameter('Lock Wait (Seconds)', 'lockWaitSeconds', 0, {
			typeOptions: { minValue: 0 },
			description: 'Only one build/run/seed/retry per project runs at a time. 0: fail at once when another is running; otherwise wait up to this long for it.',
		}),
		textParameter('Retry Of (Artifacts Directory)', 'retryOf', {
			placeholder: '={{ $json.artifactsDir }}',
			description: 'For Retry: the artifactsDir from the summary item of the run to retry',
		}),
		textParameter('Selector', 'selector', { description: 'A YAML selector from selectors.yml (--selector), instead of Select/Exclude' }),
		textParameter('Target', 'target', { description: 'Profile target (--target); empty uses the profile default' }),
		numberParameter('Threads', 'threads', 4, {
			typeOptions: { minValue: 1, maxValue: 64 },
			description: 'Parallel models (--threads); keep at most 4 behind PgBouncer (design doc §10.3)',
		}),
		numberParameter('Timeout (Minutes)', 'timeoutMinutes', 0, { typeOptions: { minValue: 0 }, description: 'Stop dbt after this long; 0 means no limit' }),
	]),
];

export const description = forOperation(option, properties);

interface Options {
	failFast?: boolean;
	lockWaitSeconds?: number;
	retryOf?: string;
	selector?: string;
	target?: string;
	threads?: number;
	timeoutMinutes?: number;
}

/** Runs dbt Core once per item, with the command from the parameters or from the item's dbtCommand. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const resources = {
		open: async (scope: ErrorScope) => {
			const dbt = await this.getCredentials(DBT_CREDENTIAL);
			const warehouse = await readWarehouseConnection(this);
			scope.warehouse = warehouse;
			return { dbt, warehouse };
		},
		close: async () => undefined,
	};
	return executeItems(this, resources, async ({ dbt, warehouse }, i, item) => {
		const options = this.getNodeParameter('options', i, {}) as Options;
		const cfg = coreConfigFromCredential(dbt, warehouse, {
			lockWaitMs: Math.round((options.lockWaitSeconds ?? 0) * 1000),
			timeoutMs: Math.round((options.timeoutMinutes ?? 0) * 60_000),
		});
		const outcome = await runDbt(cfg, commandOf(this, i, item, options), {
			holder: `n8n-execution-${this.getExecutionId()}`,
			executionId: this.getExecutionId(),
			signal: this.getExecutionCancelSignal?.(),
			onLog: (l) => {
				if (l.event === 'text' || l.message)
					this.logger[l.level === 'error' ? 'error' : l.level === 'warn' ? 'warn' : 'info'](`dbt: ${redactErrorText(l.message)}`);
			},
		});
		return outcomeItems(this, i, outcome);
	});
}

function commandOf(fns: IExecuteFunctions, i: number, item: INodeExecutionData, options: Options): DbtCommandInput {
	let cmd: DbtCommandInput;
	if (fns.getNodeParameter('commandSource', i, 'parameters') === 'input') {
		const fromInput = item.json.dbtCommand;
		if (!fromInput || typeof fromInput !== 'object') {
			throw new NodeOperationError(fns.getNode(), 'The input item has no dbtCommand field', {
				itemIndex: i,
				description: 'Connect this node after DbtRun "Verify Incident Webhook" (accepted items carry dbtCommand), or set Command From to Node Parameters.',
			});
		}
		cmd = fromInput as unknown as DbtCommandInput;
	} else {
		cmd = selectionOf(fns, i, fns.getNodeParameter('command', i) as DbtCommandInput['command']);
		if (options.selector?.trim()) cmd.selector = options.selector.trim();
		if (options.retryOf?.trim()) cmd.retryOf = options.retryOf.trim();
	}
	if (options.target?.trim()) cmd = { ...cmd, target: options.target.trim() };
	if (options.threads) cmd = { ...cmd, threads: options.threads };
	if (options.failFast) cmd = { ...cmd, failFast: true };
	return cmd;
}
