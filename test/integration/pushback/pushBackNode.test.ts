import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import { freePort } from '../../../src/devstack/freePort';
import { PushBack } from '../../../nodes/PushBack/PushBack.node';
import { executeNode, postgresCredential } from '../nodes/nodeHarness';
import { createMartsFixtures } from './marts';
import { createPushWorld, uniqueName, type PushWorld } from './world';

/** The node is a thin adapter: parameters → target config → pushTarget; results and errors as items. */
describe('Push Back node', () => {
	let w: PushWorld;
	const node = new PushBack();
	const role = uniqueName('node_app');
	let credentials: Record<string, ReturnType<typeof postgresCredential>>;
	/** Push Target's parameters for a custom target the node test's app role reads. */
	const customTarget = (more: Record<string, unknown>) => ({ operation: 'push', targetSource: 'custom', appRole: role, ...more });

	beforeAll(async () => {
		w = await createPushWorld('push_node');
		await createMartsFixtures(w.wh);
		await w.wh.query(`CREATE TABLE marts.leaky (user_hash text PRIMARY KEY, phone_number text)`);
		credentials = { dataAcuityPostgres: postgresCredential(w.warehouse), dataAcuityPostgresAnalytics: postgresCredential(w.analytics) };
	});
	afterAll(async () => w.close());

	test('Push Target with a ready-made target pushes it and records the n8n execution id', async () => {
		const [items] = await executeNode({
			nodeType: node,
			parameters: { operation: 'push', targetSource: 'ready', readyTarget: 'tagme.poi_popularity', options: { appRoleOverride: role } },
			credentials,
			executionId: '4242',
		});
		expect(items).toHaveLength(1);
		expect(items[0].json).toMatchObject({ target: 'tagme.poi_popularity', status: 'pushed', inserted: 1, suppressed: 1, created: true });
		const run = await w.wh.query('SELECT n8n_execution_id FROM dwh_control.push_runs WHERE push_run_id = $1', [items[0].json.runId]);
		expect(run.rows[0].n8n_execution_id).toBe('4242');
		const grant = await w.an.query(`SELECT has_table_privilege($1, 'tagme.poi_popularity', 'SELECT') AS ok`, [role]);
		expect(grant.rows[0].ok).toBe(true);
	});

	test('Push Target with a custom query, key list and k gate, one item per input item', async () => {
		const parameters = customTarget({
			sourceKind: 'query',
			// The city comes from each input item through an expression, as a workflow would pass it.
			sourceQuery: `={{ "SELECT city, count(DISTINCT user_hash)::int AS users FROM marts.fct_tagme_checkins WHERE city = '" + $json.city + "' GROUP BY city" }}`,
			targetSchema: 'nodetest',
			targetTable: 'city_users',
			key: ' city ',
			groupSizeColumn: 'users',
			k: 5,
			options: { targetName: 'nodetest.city_users' },
		});
		const [items] = await executeNode({ nodeType: node, parameters, credentials, input: [{ json: { city: 'Durban' } }, { json: { city: 'Soweto' } }] });
		expect(items.map((i) => [i.json.status, i.json.inserted, i.json.suppressed, i.json.deleted])).toEqual([
			['pushed', 1, 0, 0],
			['pushed', 0, 1, 1], // mirror: Soweto has 4 users, so it is suppressed and Durban is no longer in this source
		]);
		expect(items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
	});

	test('List Targets returns the ready-made targets with their last run', async () => {
		const [items] = await executeNode({ nodeType: node, parameters: { operation: 'listTargets' }, credentials });
		const byName = new Map(items.map((i) => [i.json.name, i.json]));
		expect(byName.get('tagme.poi_popularity')).toMatchObject({
			app: 'tagme',
			lastStatus: 'pushed',
			k: 5,
			groupSizeColumn: 'users_30d',
			reads: ['marts.fct_tagme_checkins'],
		});
		expect(byName.get('sdpkt.user_summary')).toMatchObject({ lastStatus: null, lastRunId: null });
		expect(byName.get('tagme.poi_popularity')).toMatchObject({ missingReads: [] });
		// A mart dbt has not built yet is named, so a schedule can skip its target instead of failing on it.
		await w.wh.query('ALTER TABLE marts.fct_sdpkt_payments RENAME TO fct_sdpkt_payments_hidden');
		try {
			const [again] = await executeNode({ nodeType: node, parameters: { operation: 'listTargets' }, credentials });
			const missing = new Map(again.map((i) => [i.json.name, i.json.missingReads]));
			expect(missing.get('sdpkt.user_summary')).toEqual(['marts.fct_sdpkt_payments']);
			expect(missing.get('tagme.user_summary')).toEqual([]);
		} finally {
			await w.wh.query('ALTER TABLE marts.fct_sdpkt_payments_hidden RENAME TO fct_sdpkt_payments');
		}
		expect(byName.get('nodetest.city_users')).toMatchObject({ app: 'custom', lastStatus: 'pushed' });
	});

	test('a PII block fails the node with the finding; with Continue On Fail it is an error item', async () => {
		const parameters = customTarget({
			sourceKind: 'relation',
			sourceSchema: 'marts',
			sourceTable: 'leaky',
			targetSchema: 'nodetest',
			targetTable: 'leaky',
			key: 'user_hash',
		});
		const err = await executeNode({ nodeType: node, parameters, credentials }).catch((e: Error) => e);
		expect(err).toBeInstanceOf(NodeOperationError);
		expect((err as Error).message).toContain('marts.leaky.phone_number: column name looks like phone');
		const [items] = await executeNode({ nodeType: node, parameters, credentials, continueOnFail: true });
		expect(items[0].json.error).toContain('PII check blocked the push of nodetest.leaky');
	});

	test('an unreachable analytics_db is blamed on the analytics_db credential', async () => {
		const port = await freePort();
		const bad = { ...credentials, dataAcuityPostgresAnalytics: { ...credentials.dataAcuityPostgresAnalytics, port } };
		const err = (await executeNode({
			nodeType: node,
			parameters: { operation: 'push', targetSource: 'ready', readyTarget: 'shared.fx_rates_daily' },
			credentials: bad,
		}).catch((e: Error) => e)) as NodeApiError;
		expect(err).toBeInstanceOf(NodeApiError);
		expect(err.message).toBe(`Nothing is listening on ${w.analytics.host}:${port} — check Host and Port, and that the server is running.`);
		expect(err.description).toContain('DataAcuity Postgres Analytics DB credential');
	});

	test('a bad custom parameter is named in the error', async () => {
		const parameters = customTarget({ sourceKind: 'relation', sourceTable: 'leaky', targetSchema: 'public', targetTable: 'x', key: 'user_hash' });
		await expect(executeNode({ nodeType: node, parameters, credentials })).rejects.toThrow(
			'Invalid push target — target.schema: target.schema must be an app schema',
		);
	});
});
