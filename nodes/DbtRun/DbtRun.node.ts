import {
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeProperties,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type { PostgresConnection } from '../../src/config/connection.schema';
import { runDbtCloudJob } from '../../src/dbt/cloud/dbtCloudClient';
import type { DbtCommandInput } from '../../src/dbt/command.schema';
import { runDbt } from '../../src/dbt/runDbt';
import type { DbtRunOutcome } from '../../src/dbt/runOutcome';
import { createPool } from '../../src/transport/postgres';
import { parseIncidentGate, type IncidentGate } from '../../src/webhook/gate.schema';
import { verifyIncident } from '../../src/webhook/verifyIncident';
import { postgresConfigFromCredential } from '../shared/credentialConfig';
import { credentialTestMethods } from '../shared/credentialTest';
import { POSTGRES_TEST_METHOD, WAREHOUSE_CREDENTIAL } from '../shared/credentialTypes';
import { mapItems } from '../shared/items';
import { cloudConfigFromCredential, coreConfigFromCredential, DBT_CREDENTIAL, DBT_TEST_METHOD, webhookSecretFromCredential } from './dbtCredential';
import { dataAcuityDbtTest } from './dbtCredentialTest';
import { redactErrorText } from '../../src/privacy/safeErrorText';

type Operation = 'runCommand' | 'triggerCloudJob' | 'verifyIncident';

const selectionFields = (operation: Operation): INodeProperties[] => [
	{
		displayName: 'Select',
		name: 'select',
		type: 'string',
		default: '',
		placeholder: 'source:ledger_db.transactions+ tag:hourly',
		description: 'Which dbt nodes to run (--select), space-separated. Checked against dbt\'s selector grammar before dbt starts.',
		displayOptions: { show: { operation: [operation], commandSource: ['parameters'] } },
	},
	{
		displayName: 'Exclude',
		name: 'exclude',
		type: 'string',
		default: '',
		placeholder: 'tag:nightly',
		description: 'Which dbt nodes to leave out (--exclude)',
		displayOptions: { show: { operation: [operation], commandSource: ['parameters'] } },
	},
	{
		displayName: 'Vars (JSON)',
		name: 'vars',
		type: 'json',
		default: '{}',
		description: 'Project variables (--vars) as a JSON object of plain values',
		displayOptions: { show: { operation: [operation], commandSource: ['parameters'] } },
	},
	{
		displayName: 'Full Refresh',
		name: 'fullRefresh',
		type: 'boolean',
		default: false,
		description: 'Whether to rebuild incremental models and seeds from scratch (--full-refresh)',
		displayOptions: { show: { operation: [operation], commandSource: ['parameters'] } },
	},
];

export class DbtRun implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'dbt Run',
		name: 'dbtRun',
		icon: 'file:dbtRun.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ {"runCommand": $parameter["commandSource"] === "input" ? "dbt (command from input)" : "dbt " + $parameter["command"], "triggerCloudJob": "dbt Cloud job " + $parameter["jobId"], "verifyIncident": "Verify Wolverine incident"}[$parameter["operation"]] }}',
		description: 'Run dbt Core or a dbt Cloud job and output one item per dbt node, or verify a Wolverine incident webhook',
		defaults: { name: 'dbt Run' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{ name: DBT_CREDENTIAL, required: true, testedBy: DBT_TEST_METHOD, displayName: 'dbt (Core or Cloud)' },
			{
				name: WAREHOUSE_CREDENTIAL,
				required: true,
				testedBy: POSTGRES_TEST_METHOD,
				displayName: 'Warehouse (dbt Login)',
				displayOptions: { show: { operation: ['runCommand', 'verifyIncident'] } },
			},
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
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Run Dbt Command', value: 'runCommand', action: 'Run a dbt command', description: 'Run dbt Core (build, run, test, source freshness, seed, retry)' },
					{ name: 'Trigger Dbt Cloud Job', value: 'triggerCloudJob', action: 'Trigger a dbt cloud job', description: 'Start a dbt Cloud job and wait for it to finish' },
					{
						name: 'Verify Incident Webhook',
						value: 'verifyIncident',
						action: 'Verify an incident webhook',
						description: 'Check a Wolverine webhook request (signature, payload, duplicates) and turn it into a dbt selection',
					},
				],
				default: 'runCommand',
			},
			{
				displayName: 'Command From',
				name: 'commandSource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Node Parameters', value: 'parameters' },
					{ name: 'Input Item (dbtCommand Field)', value: 'input', description: 'Use the dbtCommand that "Verify Incident Webhook" output' },
				],
				default: 'parameters',
				displayOptions: { show: { operation: ['runCommand'] } },
			},
			{
				displayName: 'Command',
				name: 'command',
				type: 'options',
				options: [
					{ name: 'Build', value: 'build', description: 'Run models, tests, seeds and snapshots in DAG order' },
					{ name: 'Retry', value: 'retry', description: 'Rerun only what failed or was skipped in an earlier run (set Retry Of)' },
					{ name: 'Run', value: 'run', description: 'Build models only' },
					{ name: 'Seed', value: 'seed', description: 'Load CSV seeds' },
					{ name: 'Source Freshness', value: 'source freshness', description: 'Check when bronze was last loaded' },
					{ name: 'Test', value: 'test', description: 'Run data tests only' },
				],
				default: 'build',
				displayOptions: { show: { operation: ['runCommand'], commandSource: ['parameters'] } },
			},
			...selectionFields('runCommand'),
			{
				displayName: 'Job ID',
				name: 'jobId',
				type: 'number',
				default: 0,
				required: true,
				description: 'The dbt Cloud job to trigger (the number in its URL)',
				displayOptions: { show: { operation: ['triggerCloudJob'] } },
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
				displayOptions: { show: { operation: ['triggerCloudJob'] } },
			},
			...selectionFields('triggerCloudJob').map((p) => ({
				...p,
				displayOptions: { show: { operation: ['triggerCloudJob'], cloudCommand: ['build', 'run', 'test', 'source freshness'] } },
			})),
			{
				displayName: 'Raw Body Binary Property',
				name: 'binaryPropertyName',
				type: 'string',
				default: 'data',
				required: true,
				description: 'Binary property holding the request body exactly as received (turn on Options → Raw Body in the Webhook node)',
				displayOptions: { show: { operation: ['verifyIncident'] } },
			},
			{
				displayName: 'Duplicate Window (Seconds)',
				name: 'dedupWindowSeconds',
				type: 'number',
				typeOptions: { minValue: 2 },
				default: 900,
				description:
					'The same incident again within this many seconds is refused (409) instead of starting a second run. Must be at least twice Max Request Age, so a replayed request can never re-claim the incident; an exact replay of a request is refused whatever this is.',
				displayOptions: { show: { operation: ['verifyIncident'] } },
			},
			{
				displayName: 'Max Request Age (Seconds)',
				name: 'toleranceSeconds',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 3600 },
				default: 300,
				description: 'Requests whose signed timestamp is further from now than this (either way) are refused as stale (401). At most 3600; Duplicate Window must be at least twice this.',
				displayOptions: { show: { operation: ['verifyIncident'] } },
			},
			{
				displayName:
					'Outputs one item per request with "accepted" (true/false) and "httpStatus" (200, 400, 401 or 409). Route it with an If node: accepted → DbtRun "Run dbt Command" with Command From = Input Item; refused → Respond to Webhook with that status.',
				name: 'verifyNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { operation: ['verifyIncident'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				displayOptions: { show: { operation: ['runCommand'] } },
				options: [
					{
						displayName: 'Fail Fast',
						name: 'failFast',
						type: 'boolean',
						default: false,
						description: 'Whether dbt stops at the first failure (--fail-fast)',
					},
					{
						displayName: 'Lock Wait (Seconds)',
						name: 'lockWaitSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description:
							'Only one build/run/seed/retry per project runs at a time. 0: fail at once when another is running; otherwise wait up to this long for it.',
					},
					{
						displayName: 'Retry Of (Artifacts Directory)',
						name: 'retryOf',
						type: 'string',
						default: '',
						placeholder: '={{ $json.artifactsDir }}',
						description: 'For Retry: the artifactsDir from the summary item of the run to retry',
					},
					{
						displayName: 'Selector',
						name: 'selector',
						type: 'string',
						default: '',
						description: 'A YAML selector from selectors.yml (--selector), instead of Select/Exclude',
					},
					{
						displayName: 'Target',
						name: 'target',
						type: 'string',
						default: '',
						description: 'Profile target (--target); empty uses the profile default',
					},
					{
						displayName: 'Threads',
						name: 'threads',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 64 },
						default: 4,
						description: 'Parallel models (--threads); keep at most 4 behind PgBouncer (design doc §10.3)',
					},
					{
						displayName: 'Timeout (Minutes)',
						name: 'timeoutMinutes',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 0,
						description: 'Stop dbt after this long; 0 means no limit',
					},
				],
			},
			{
				displayName: 'Options',
				name: 'cloudOptions',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				displayOptions: { show: { operation: ['triggerCloudJob'] } },
				options: [
					{ displayName: 'Cause', name: 'cause', type: 'string', default: 'Triggered by n8n (DataAcuity DbtRun)', description: 'Shown on the run in dbt Cloud' },
					{ displayName: 'Git Branch', name: 'gitBranch', type: 'string', default: '', description: 'Run the job against this branch instead of its default' },
					{ displayName: 'Poll Interval (Seconds)', name: 'pollIntervalSeconds', type: 'number', typeOptions: { minValue: 1 }, default: 10 },
					{ displayName: 'Timeout (Minutes)', name: 'timeoutMinutes', type: 'number', typeOptions: { minValue: 1 }, default: 120, description: 'Stop waiting after this long (the job keeps running in dbt Cloud)' },
				],
			},
		],
	};

	methods = {
		credentialTest: { ...credentialTestMethods, [DBT_TEST_METHOD]: dataAcuityDbtTest },
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as Operation;
		const dbtCred = await this.getCredentials(DBT_CREDENTIAL);
		const warehouse = operation === 'triggerCloudJob' ? undefined : postgresConfigFromCredential(await this.getCredentials(WAREHOUSE_CREDENTIAL));
		if (operation === 'verifyIncident') return [await verifyItems(this, dbtCred, warehouse!)];

		const out: INodeExecutionData[] = [];
		const items = await mapItems(this, { warehouse }, async (i, item) => {
			const outcome = operation === 'runCommand' ? await runCommand(this, i, item, dbtCred, warehouse!) : await triggerCloud(this, i, dbtCred);
			if (outcome.summary.status !== 'success' && !this.continueOnFail()) {
				const failed = outcome.nodes.filter((n) => ['error', 'fail', 'runtime error'].includes(n.status));
				throw new NodeOperationError(this.getNode(), `dbt ${outcome.summary.command} ${outcome.summary.status === 'failed' ? 'failed' : 'crashed'}: ${firstLine(outcome.summary.errorMessage)}`, {
					itemIndex: i,
					description:
						(failed.length ? failed.map((n) => `${n.uniqueId} (${n.status}): ${n.message ?? ''}`).join('\n') : (outcome.summary.errorMessage ?? '')) +
						(outcome.summary.artifactsDir ? `\n\ndbt.log and run_results.json: ${outcome.summary.artifactsDir}` : ''),
				});
			}
			return [...outcome.nodes, outcome.summary] as unknown as IDataObject[];
		});
		out.push(...items);
		return [out];
	}
}

function firstLine(s: string | null): string {
	return (s ?? 'see the node items').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 2).join(' — ');
}

function commandFromParameters(fns: IExecuteFunctions, i: number, operation: Operation): DbtCommandInput & { cloudCommand?: string } {
	const list = (name: string) => String(fns.getNodeParameter(name, i, '') ?? '').trim();
	const select = list('select');
	const exclude = list('exclude');
	const vars = fns.getNodeParameter('vars', i, '{}') as string | IDataObject;
	const cmd: DbtCommandInput = {
		command: operation === 'runCommand' ? (fns.getNodeParameter('command', i) as DbtCommandInput['command']) : 'build',
		select: select ? [select] : [],
		exclude: exclude ? [exclude] : [],
		vars: vars as DbtCommandInput['vars'],
		fullRefresh: fns.getNodeParameter('fullRefresh', i, false) as boolean,
	};
	return cmd;
}

async function runCommand(fns: IExecuteFunctions, i: number, item: INodeExecutionData, dbtCred: ICredentialDataDecryptedObject, warehouse: PostgresConnection): Promise<DbtRunOutcome> {
	const options = fns.getNodeParameter('options', i, {}) as {
		failFast?: boolean; lockWaitSeconds?: number; retryOf?: string; selector?: string; target?: string; threads?: number; timeoutMinutes?: number;
	};
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
		cmd = commandFromParameters(fns, i, 'runCommand');
		if (options.selector?.trim()) cmd.selector = options.selector.trim();
		if (options.retryOf?.trim()) cmd.retryOf = options.retryOf.trim();
	}
	if (options.target?.trim()) cmd = { ...cmd, target: options.target.trim() };
	if (options.threads) cmd = { ...cmd, threads: options.threads };
	if (options.failFast) cmd = { ...cmd, failFast: true };
	const cfg = coreConfigFromCredential(dbtCred, warehouse, {
		lockWaitMs: Math.round((options.lockWaitSeconds ?? 0) * 1000),
		timeoutMs: Math.round((options.timeoutMinutes ?? 0) * 60_000),
	});
	return runDbt(cfg, cmd, {
		holder: `n8n-execution-${fns.getExecutionId()}`,
		executionId: fns.getExecutionId(),
		signal: fns.getExecutionCancelSignal?.(),
		onLog: (l) => {
			if (l.event === 'text' || l.message) fns.logger[l.level === 'error' ? 'error' : l.level === 'warn' ? 'warn' : 'info'](`dbt: ${redactErrorText(l.message)}`);
		},
	});
}

async function triggerCloud(fns: IExecuteFunctions, i: number, dbtCred: ICredentialDataDecryptedObject): Promise<DbtRunOutcome> {
	const o = fns.getNodeParameter('cloudOptions', i, {}) as { cause?: string; gitBranch?: string; pollIntervalSeconds?: number; timeoutMinutes?: number };
	const steps = fns.getNodeParameter('cloudCommand', i, 'job') as string;
	const override = steps === 'job' ? {} : { ...commandFromParameters(fns, i, 'triggerCloudJob'), command: steps as 'build' };
	const cfg = cloudConfigFromCredential(dbtCred, { pollIntervalMs: (o.pollIntervalSeconds ?? 10) * 1000, timeoutMs: (o.timeoutMinutes ?? 120) * 60_000 });
	return runDbtCloudJob(
		cfg,
		{ jobId: fns.getNodeParameter('jobId', i) as number, cause: o.cause || undefined, gitBranch: o.gitBranch || undefined, ...override } as never,
		{ signal: fns.getExecutionCancelSignal?.() },
	);
}

async function verifyItems(fns: IExecuteFunctions, dbtCred: ICredentialDataDecryptedObject, warehouse: PostgresConnection): Promise<INodeExecutionData[]> {
	const secret = webhookSecretFromCredential(dbtCred);
	const pool = createPool(warehouse, { role: 'dbt-incident' });
	try {
		return await mapItems(fns, { warehouse }, async (i, item) => {
			let gate: IncidentGate;
			try {
				gate = parseIncidentGate({ dedupWindowSeconds: fns.getNodeParameter('dedupWindowSeconds', i, 900), toleranceSeconds: fns.getNodeParameter('toleranceSeconds', i, 300) });
			} catch (err) {
				throw new NodeOperationError(fns.getNode(), (err as Error).message, { itemIndex: i, description: 'Open this node and fix Duplicate Window (Seconds) / Max Request Age (Seconds) as the message says.' });
			}
			const prop = fns.getNodeParameter('binaryPropertyName', i, 'data') as string;
			if (!item.binary?.[prop]) {
				throw new NodeOperationError(fns.getNode(), `No raw request body in binary property "${prop}"`, {
					itemIndex: i,
					description: 'Open the Webhook node, add Options → Raw Body (on), and keep the binary property name in sync with this node.',
				});
			}
			const rawBody = await fns.helpers.getBinaryDataBuffer(i, prop);
			const verdict = await verifyIncident({
				rawBody,
				headers: (item.json.headers ?? {}) as Record<string, unknown>,
				secret,
				toleranceS: gate.toleranceSeconds,
				dedup: { db: pool, windowS: gate.dedupWindowSeconds, executionId: fns.getExecutionId() },
			});
			if (!verdict.accepted) return { ...verdict } as IDataObject;
			const { incident: _incident, ...rest } = verdict;
			return { ...rest, selection: (verdict.dbtCommand.select ?? []).join(' '), title: verdict.incident.title ?? null } as unknown as IDataObject;
		});
	} finally {
		await pool.end().catch(() => undefined);
	}
}
