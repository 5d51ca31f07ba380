import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { Enrich } from '../../../nodes/Enrich/Enrich.node';
import { enrichWarehouse, type EnrichWarehouse } from './warehouse';
import { adminConnection } from '../../harness/testEnv';

/**
 * The node adapter against the real warehouse: parameters as the editor stores them (hidden ones absent), the
 * warehouse credential as n8n decrypts it. Only the n8n call surface the node uses is provided here.
 */
let wh: EnrichWarehouse;
beforeAll(async () => {
	wh = await enrichWarehouse('enrich_node');
});
afterAll(async () => wh?.close());

function run(parameters: Record<string, unknown>, items: INodeExecutionData[] = [{ json: {} }]): Promise<INodeExecutionData[][]> {
	const conn = adminConnection(wh.database);
	const fns = {
		getInputData: () => items,
		getNodeParameter: (name: string, _i: number, fallback?: unknown) => {
			if (name in parameters) return parameters[name];
			if (fallback !== undefined) return fallback;
			throw new Error(`Could not get parameter "${name}"`);
		},
		getCredentials: async () => ({ host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password }),
		getNode: () => ({ id: 'n1', name: 'Enrich', type: 'n8n-nodes-dataacuity.enrich', typeVersion: 1, position: [0, 0], parameters: {} }),
		continueOnFail: () => false,
		getExecutionId: () => 'e2e-1',
		logger: { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined },
	} as unknown as IExecuteFunctions;
	return new Enrich().execute.call(fns);
}

test('Load Holidays, then Enrich Items with temporal and FX, through the node parameters', async () => {
	const [loaded] = await run({ operation: 'loadHolidays', holidayCountries: 'ZA', fromYear: 2026, toYear: 2026 });
	expect(loaded[0].json).toMatchObject({ countries: ['ZA'], publicHolidays: 13 });

	const [out] = await run(
		{ operation: 'enrichItems', families: ['temporal', 'fx'], timestampColumn: 'at', amountColumn: 'amount' },
		[{ json: { at: '2026-04-03T09:00:00+02:00', amount: 10, note: 'kept' } }, { json: { at: '2026-04-07T09:00:00+02:00', amount: 20 } }],
	);
	expect(out.map((o) => [o.json.day_of_week, o.json.is_public_holiday, o.json.amount_zar, o.json.fx_rate_missing, o.json.note, o.pairedItem])).toEqual([
		['Fri', true, 10, true, 'kept', { item: 0 }],
		['Tue', false, 20, true, undefined, { item: 1 }],
	]);
});

test('Enrich Relation reports what it wrote; a bad column fails naming the parameter', async () => {
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate; CREATE TABLE intermediate.t AS SELECT 1 AS id, now() AS event_time`);
	const [out] = await run({ operation: 'enrichRelation', source: 'intermediate.t', target: 'intermediate.t_enriched', families: ['temporal'] });
	expect(out[0].json).toMatchObject({ source: 'intermediate.t', target: 'intermediate.t_enriched', rows: 1, families: ['temporal'] });
	await expect(run({ operation: 'enrichRelation', source: 'intermediate.t', target: 'intermediate.t_enriched', families: ['temporal'], timestampColumn: 'created_at' })).rejects.toThrow(
		'temporal.timestampColumn: column "created_at" is not in intermediate.t',
	);
});
