import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';
import type pg from 'pg';
import type { PostgresConnection } from '../../src/config/connection.schema';
import { listTargets } from '../../src/pushback/listTargets';
import { PiiBlockedError } from '../../src/pushback/piiGate';
import { PushFailedError, pushTarget } from '../../src/pushback/pushTarget';
import { READY_TARGETS } from '../../src/pushback/readyTargets';
import { PushTargetConfigError, type PushResult } from '../../src/pushback/target.schema';
import { PushTargetError } from '../../src/pushback/targetTable';
import { PushSourceError } from '../../src/pushback/warehouseSource';
import { createPool, describeConnectionError } from '../../src/transport/postgres';
import { credentialTestMethods } from '../shared/credentialTest';
import { ANALYTICS_CREDENTIAL, POSTGRES_TEST_METHOD, WAREHOUSE_CREDENTIAL } from '../shared/credentialTypes';
import type { ErrorScope } from '../shared/errorDescription';
import { mapItems } from '../shared/items';
import { readPostgresConnection, readWarehouseConnection } from '../shared/pipelineContext';
import { targetFromParameters, type PushParameters } from './targetParameters';


const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', '28P01', '28000', '3D000']);

function toJson(r: PushResult): IDataObject {
	return { ...r };
}

/**
 * The push-back errors already say what is wrong and name the field; the description adds what to do. An
 * analytics_db connection failure is named as such (the shared mapping only knows warehouse and source).
 */
function explainPushError(fns: IExecuteFunctions, err: unknown, itemIndex: number, analytics: PostgresConnection): unknown {
	const node = fns.getNode();
	const e = err as { code?: string; message?: string };
	if (err instanceof PushTargetConfigError) return new NodeOperationError(node, err.message, { itemIndex, description: 'Fix the named parameter(s) of the custom target.' });
	if (err instanceof PiiBlockedError) {
		return new NodeOperationError(node, err.message, {
			itemIndex,
			description: 'The source was checked by the Anonymise PII scan before anything left the warehouse; analytics_db was not touched.',
		});
	}
	if (err instanceof PushSourceError || err instanceof PushTargetError) {
		return new NodeOperationError(node, err.message, { itemIndex, description: 'Nothing was pushed; the run is logged as failed in dwh_control.push_runs.' });
	}
	if (err instanceof PushFailedError) {
		return new NodeOperationError(node, err.message, { itemIndex, description: 'The push transaction was rolled back: apps still read the previous data. Details are in dwh_control.push_runs.' });
	}
	if (e.code && CONNECTION_CODES.has(e.code) && (e as { port?: number }).port === analytics.port) {
		const message = describeConnectionError(e, analytics);
		return new NodeApiError(node, { message }, { message, description: 'Check the DataAcuity Postgres Analytics DB credential (Host, Port, User, Password, SSL Mode) and use its Test button.', itemIndex });
	}
	return err;
}

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
		description: 'Sync k-anonymous aggregates from warehouse marts into the apps\' analytics_db',
		defaults: { name: 'Push Back' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{ name: WAREHOUSE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Warehouse (dwh)' },
			{ name: ANALYTICS_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'analytics_db' },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Push Target', value: 'push', action: 'Push a target into analytics db', description: 'Sync one target: only changed rows are written' },
					{ name: 'List Targets', value: 'listTargets', action: 'List push back targets', description: 'Ready-made targets and every target in the run log, with the last run' },
				],
				default: 'push',
			},
			{
				displayName: 'Target',
				name: 'targetSource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Ready-Made', value: 'ready', description: 'One of the design doc §9.2 targets, with its marts query' },
					{ name: 'Custom', value: 'custom', description: 'Your own source relation or query, target table and key' },
				],
				default: 'ready',
				displayOptions: { show: { operation: ['push'] } },
			},
			{
				displayName: 'Ready-Made Target',
				name: 'readyTarget',
				type: 'options',
				options: READY_TARGETS.map((t) => ({ name: t.config.name, value: t.config.name, description: t.config.description })),
				default: '',
				displayOptions: { show: { operation: ['push'], targetSource: ['ready'] } },
			},
			{
				displayName: 'Source',
				name: 'sourceKind',
				type: 'options',
				options: [
					{ name: 'Relation', value: 'relation', description: 'A marts table or view' },
					{ name: 'Query', value: 'query', description: 'One SELECT, run read-only in the warehouse' },
				],
				default: 'relation',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'Source Schema',
				name: 'sourceSchema',
				type: 'string',
				default: 'marts',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'], sourceKind: ['relation'] } },
			},
			{
				displayName: 'Source Table',
				name: 'sourceTable',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'agg_tagme_user_summary',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'], sourceKind: ['relation'] } },
			},
			{
				displayName: 'Source Query',
				name: 'sourceQuery',
				type: 'string',
				typeOptions: { editor: 'sqlEditor', rows: 8 },
				default: '',
				required: true,
				placeholder: 'SELECT user_hash, count(*) AS checkins_30d FROM marts.fct_tagme_checkins GROUP BY 1',
				description: 'One SELECT. Column names become the target columns (lower-case identifiers).',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'], sourceKind: ['query'] } },
			},
			{
				displayName: 'Target Schema',
				name: 'targetSchema',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'tagme',
				description: "The app's schema in analytics_db (not public)",
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'Target Table',
				name: 'targetTable',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'user_summary',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'Key Columns',
				name: 'key',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'user_hash',
				description: "Comma-separated; the target's primary key. The source must have one row per key.",
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'Mode',
				name: 'mode',
				type: 'options',
				options: [
					{ name: 'Mirror', value: 'mirror', description: 'Target rows no longer in the source are deleted (a forgotten user disappears)' },
					// The n8n wording ("create a new record, or update…") would hide the one thing this option changes.
					// eslint-disable-next-line n8n-nodes-base/node-param-option-name-wrong-for-upsert, n8n-nodes-base/node-param-description-wrong-for-upsert
					{ name: 'Upsert', value: 'upsert', description: 'Target rows no longer in the source stay (nothing is deleted except rows below K)' },
				],
				default: 'mirror',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'App Role',
				name: 'appRole',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'tagme_app',
				description: "The app's role: it gets SELECT on the target and nothing else. Created NOLOGIN if missing.",
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'Group Size Column',
				name: 'groupSizeColumn',
				type: 'string',
				default: '',
				placeholder: 'users_30d',
				description: 'For aggregates: the column holding the distinct users behind each row. Rows below K are not pushed, and are removed from the target. Leave empty for per-user summaries and reference data.',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'K',
				name: 'k',
				type: 'number',
				typeOptions: { minValue: 2 },
				default: 5,
				description: 'Smallest group size that may be pushed (design doc §6.6: 5)',
				displayOptions: { show: { operation: ['push'], targetSource: ['custom'] } },
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add option',
				default: {},
				displayOptions: { show: { operation: ['push'] } },
				options: [
					{
						displayName: 'Allow Empty Source',
						name: 'allowEmptySource',
						type: 'boolean',
						default: false,
						description: 'Whether a mirror push may empty a non-empty target when the source returns no rows at all. Off: refused, since an empty mart is usually a failed build.',
					},
					{
						displayName: 'App Role Override',
						name: 'appRoleOverride',
						type: 'string',
						default: '',
						description: "Ready-made targets: the app's role on this analytics_db when it is not the registry's (e.g. tagme_app)",
					},
					{
						displayName: 'Lock Wait (Seconds)',
						name: 'lockWaitSeconds',
						type: 'number',
						typeOptions: { minValue: 0 },
						default: 60,
						description: 'How long to wait for another push of the same target to finish before this one is recorded as skipped',
					},
					{
						displayName: 'PII Allowed Columns',
						name: 'piiAllowColumns',
						type: 'string',
						default: '',
						description: 'Custom targets: comma-separated columns a compliance reviewer signed off (e.g. a rate that looks like a coordinate). Never waives an email, phone, ID number, card, IBAN, name or device ID.',
					},
					{
						displayName: 'Run Name',
						name: 'targetName',
						type: 'string',
						default: '',
						description: 'Custom targets: name in the run log and List Targets; defaults to schema.table',
					},
				],
			},
		],
	};

	methods = {
		credentialTest: credentialTestMethods,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const fns = this;
		const scope: ErrorScope = {};
		let warehousePool: pg.Pool | undefined;
		let analyticsPool: pg.Pool | undefined;
		try {
			const warehouse = await readWarehouseConnection(fns);
			scope.warehouse = warehouse;
			warehousePool = createPool(warehouse, { role: 'pushback' });
			const operation = fns.getNodeParameter('operation', 0) as 'push' | 'listTargets';
			if (operation === 'listTargets') {
				const pool = warehousePool;
				return [await mapItems(fns, scope, async () => (await listTargets(pool)).map((t) => ({ ...t }) as IDataObject))];
			}
			const analytics = await readPostgresConnection(fns, ANALYTICS_CREDENTIAL);
			analyticsPool = createPool(analytics, { role: 'pushback' });
			const ctx = { warehouse: warehousePool, analytics: analyticsPool, executionId: fns.getExecutionId(), log: (m: string) => fns.logger.info(m) };
			const output = await mapItems(fns, scope, async (itemIndex) => {
				const options = fns.getNodeParameter('options', itemIndex, {}) as { allowEmptySource?: boolean; appRoleOverride?: string; lockWaitSeconds?: number; piiAllowColumns?: string; targetName?: string };
				const params: PushParameters = {
					targetSource: fns.getNodeParameter('targetSource', itemIndex) as 'ready' | 'custom',
					readyTarget: fns.getNodeParameter('readyTarget', itemIndex, '') as string,
					sourceKind: fns.getNodeParameter('sourceKind', itemIndex, 'relation') as 'relation' | 'query',
					sourceSchema: fns.getNodeParameter('sourceSchema', itemIndex, 'marts') as string,
					sourceTable: fns.getNodeParameter('sourceTable', itemIndex, '') as string,
					sourceQuery: fns.getNodeParameter('sourceQuery', itemIndex, '') as string,
					targetSchema: fns.getNodeParameter('targetSchema', itemIndex, '') as string,
					targetTable: fns.getNodeParameter('targetTable', itemIndex, '') as string,
					key: fns.getNodeParameter('key', itemIndex, '') as string,
					mode: fns.getNodeParameter('mode', itemIndex, 'mirror') as 'mirror' | 'upsert',
					appRole: fns.getNodeParameter('appRole', itemIndex, '') as string,
					groupSizeColumn: fns.getNodeParameter('groupSizeColumn', itemIndex, '') as string,
					k: fns.getNodeParameter('k', itemIndex, 5) as number,
					piiAllowColumns: options.piiAllowColumns,
					targetName: options.targetName,
					appRoleOverride: options.appRoleOverride,
					allowEmptySource: options.allowEmptySource,
				};
				try {
					const target = targetFromParameters(params);
					const lockWaitMs = Math.max(0, Number(options.lockWaitSeconds ?? 60)) * 1000;
					return toJson(await pushTarget(ctx, target, { lockWaitMs }));
				} catch (err) {
					throw explainPushError(fns, err, itemIndex, analytics);
				}
			});
			return [output];
		} finally {
			await Promise.all([warehousePool?.end().catch(() => undefined), analyticsPool?.end().catch(() => undefined)]);
		}
	}
}
