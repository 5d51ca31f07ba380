import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type pg from 'pg';
import { pushTarget } from '../../../src/pushback/pushTarget';
import { READY_TARGETS } from '../../../src/pushback/readyTargets';
import { ANALYTICS_CREDENTIAL } from '../../shared/credentialTypes';
import { executeItems, type Resources } from '../../shared/items';
import { postgresPool } from '../../shared/resources';
import { targetFromParameters, type PushParameters } from '../targetParameters';
import { customTargetProperties } from './customTarget.description';
import { forOperation, optionsCollection, showWhen } from '../../shared/descriptions';
import { booleanParameter, numberParameter, optionsParameter, textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Push Target',
	value: 'push',
	action: 'Push a target into analytics db',
	description: 'Sync one target: only changed rows are written',
};

const properties: INodeProperties[] = [
	optionsParameter('Target', 'targetSource', { default: 'ready', noDataExpression: true }, [
		{ name: 'Ready-Made', value: 'ready', description: 'One of the design doc §9.2 targets, with its marts query' },
		{ name: 'Custom', value: 'custom', description: 'Your own source relation or query, target table and key' },
	]),
	optionsParameter(
		'Ready-Made Target',
		'readyTarget',
		{ default: '', displayOptions: showWhen('targetSource', 'ready') },
		READY_TARGETS.map((t) => ({ name: t.config.name, value: t.config.name, description: t.config.description })),
	),
	...customTargetProperties,
	optionsCollection('options', [
		booleanParameter(
			'Allow Empty Source',
			'allowEmptySource',
			false,
			'Whether a mirror push may empty a non-empty target when the source returns no rows at all. Off: refused, since an empty mart is usually a failed build.',
		),
		textParameter('App Role Override', 'appRoleOverride', {
			description: "Ready-made targets: the app's role on this analytics_db when it is not the registry's (e.g. tagme_app)",
		}),
		numberParameter('Lock Wait (Seconds)', 'lockWaitSeconds', 60, {
			typeOptions: { minValue: 0 },
			description: 'How long to wait for another push of the same target to finish before this one is recorded as skipped',
		}),
		textParameter('PII Allowed Columns', 'piiAllowColumns', {
			description:
				'Custom targets: comma-separated columns a compliance reviewer signed off (e.g. a rate that looks like a coordinate). Never waives an email, phone, ID number, card, IBAN, name or device ID.',
		}),
		textParameter('Run Name', 'targetName', { description: 'Custom targets: name in the run log and List Targets; defaults to schema.table' }),
	]),
];

export const description = forOperation(option, properties);

type Options = Pick<PushParameters, 'allowEmptySource' | 'appRoleOverride' | 'piiAllowColumns' | 'targetName'> & { lockWaitSeconds?: number };

/** Syncs one target per item from the warehouse marts into analytics_db; only changed rows are written. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const warehouse = postgresPool(this, 'pushback');
	const analytics = postgresPool(this, 'pushback', ANALYTICS_CREDENTIAL, 'analytics');
	const pools: Resources<{ warehouse: pg.Pool; analytics: pg.Pool }> = {
		open: async (scope) => ({ warehouse: await warehouse.open(scope), analytics: await analytics.open(scope) }),
		close: async (p) => void (await Promise.all([warehouse.close(p.warehouse), analytics.close(p.analytics)])),
	};
	return executeItems(this, pools, async (p, i) => {
		const { lockWaitSeconds, ...options } = this.getNodeParameter('options', i, {}) as Options;
		const param = <T>(name: keyof PushParameters, fallback: T) => this.getNodeParameter(name, i, fallback) as T;
		const params: PushParameters = {
			targetSource: this.getNodeParameter('targetSource', i) as 'ready' | 'custom',
			readyTarget: param('readyTarget', ''),
			sourceKind: param('sourceKind', 'relation'),
			sourceSchema: param('sourceSchema', 'marts'),
			sourceTable: param('sourceTable', ''),
			sourceQuery: param('sourceQuery', ''),
			targetSchema: param('targetSchema', ''),
			targetTable: param('targetTable', ''),
			key: param('key', ''),
			mode: param('mode', 'mirror'),
			appRole: param('appRole', ''),
			groupSizeColumn: param('groupSizeColumn', ''),
			k: param('k', 5),
			...options,
		};
		const ctx = { ...p, executionId: this.getExecutionId(), log: (m: string) => this.logger.info(m) };
		return { ...(await pushTarget(ctx, targetFromParameters(params), { lockWaitMs: Math.max(0, Number(lockWaitSeconds ?? 60)) * 1000 })) };
	});
}
