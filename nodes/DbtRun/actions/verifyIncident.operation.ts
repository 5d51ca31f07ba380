import { NodeOperationError } from 'n8n-workflow';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import type pg from 'pg';
import { parseIncidentGate } from '../../../src/webhook/gate.schema';
import { verifyIncident } from '../../../src/webhook/verifyIncident';
import { executeItems, type Resources } from '../../shared/items';
import { postgresPool } from '../../shared/resources';
import { DBT_CREDENTIAL, webhookSecretFromCredential } from '../dbtCredential';
import { forOperation } from '../../shared/descriptions';
import { noticeParameter, numberParameter, requiredText } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Verify Incident Webhook',
	value: 'verifyIncident',
	action: 'Verify an incident webhook',
	description: 'Check a Wolverine webhook request (signature, payload, duplicates) and turn it into a dbt selection',
};

const properties: INodeProperties[] = [
	requiredText('Raw Body Binary Property', 'binaryPropertyName', {
		default: 'data',
		description: 'Binary property holding the request body exactly as received (turn on Options → Raw Body in the Webhook node)',
	}),
	numberParameter('Duplicate Window (Seconds)', 'dedupWindowSeconds', 900, {
		typeOptions: { minValue: 2 },
		description:
			'The same incident again within this many seconds is refused (409) instead of starting a second run. Must be at least twice Max Request Age, so a replayed request can never re-claim the incident; an exact replay of a request is refused whatever this is.',
	}),
	numberParameter('Max Request Age (Seconds)', 'toleranceSeconds', 300, {
		typeOptions: { minValue: 1, maxValue: 3600 },
		description:
			'Requests whose signed timestamp is further from now than this (either way) are refused as stale (401). At most 3600; Duplicate Window must be at least twice this.',
	}),
	noticeParameter(
		'verifyNotice',
		'Outputs one item per request with "accepted" (true/false) and "httpStatus" (200, 400, 401 or 409). Route it with an If node: accepted → DbtRun "Run dbt Command" with Command From = Input Item; refused → Respond to Webhook with that status.',
	),
];

export const description = forOperation(option, properties);

/** Checks each webhook request (signature, age, duplicates) and turns an accepted incident into a dbt selection. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	const warehouse = postgresPool(this, 'dbt-incident');
	const resources: Resources<{ secret: string; pool: pg.Pool }> = {
		open: async (scope) => ({ secret: webhookSecretFromCredential(await this.getCredentials(DBT_CREDENTIAL)), pool: await warehouse.open(scope) }),
		close: async ({ pool }) => warehouse.close(pool),
	};
	return executeItems(this, resources, async ({ secret, pool }, i, item) => {
		const gate = parseIncidentGate({
			dedupWindowSeconds: this.getNodeParameter('dedupWindowSeconds', i, 900),
			toleranceSeconds: this.getNodeParameter('toleranceSeconds', i, 300),
		});
		const prop = this.getNodeParameter('binaryPropertyName', i, 'data') as string;
		if (!item.binary?.[prop]) {
			throw new NodeOperationError(this.getNode(), `No raw request body in binary property "${prop}"`, {
				itemIndex: i,
				description: 'Open the Webhook node, add Options → Raw Body (on), and keep the binary property name in sync with this node.',
			});
		}
		const verdict = await verifyIncident({
			rawBody: await this.helpers.getBinaryDataBuffer(i, prop),
			headers: (item.json.headers ?? {}) as Record<string, unknown>,
			secret,
			toleranceS: gate.toleranceSeconds,
			dedup: { db: pool, windowS: gate.dedupWindowSeconds, executionId: this.getExecutionId() },
		});
		if (!verdict.accepted) return { ...verdict } as IDataObject;
		const { incident: _incident, ...rest } = verdict;
		return { ...rest, selection: (verdict.dbtCommand.select ?? []).join(' '), title: verdict.incident.title ?? null } as unknown as IDataObject;
	});
}
