import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { Enrich } from '../../../nodes/Enrich/Enrich.node';
import { enrichWarehouse, type EnrichWarehouse } from './warehouse';

/**
 * The node adapter against the real warehouse: parameters as the editor stores them (hidden ones absent), the
 * warehouse credential as n8n decrypts it. Only the n8n call surface the node uses is provided here.
 */
let wh: EnrichWarehouse;
beforeAll(async () => {
	wh = await enrichWarehouse('enrich_node');
});
afterAll(async () => wh?.close());

function run(parameters: Record<string, unknown>, items: INodeExecutionData[] = [{ json: {} }], continueOnFail = false): Promise<INodeExecutionData[][]> {
	const conn = wh.connection;
	const fns = {
		getInputData: () => items,
		getNodeParameter: (name: string, _i: number, fallback?: unknown) => {
			if (name in parameters) return parameters[name];
			if (fallback !== undefined) return fallback;
			throw new Error(`Could not get parameter "${name}"`);
		},
		getCredentials: async () => ({ host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password }),
		getNode: () => ({ id: 'n1', name: 'Enrich', type: 'n8n-nodes-dataacuity.enrich', typeVersion: 1, position: [0, 0], parameters: {} }),
		continueOnFail: () => continueOnFail,
		getExecutionId: () => 'e2e-1',
		logger: { info: () => undefined, debug: () => undefined, warn: () => undefined, error: () => undefined },
	} as unknown as IExecuteFunctions;
	return new Enrich().execute.call(fns);
}

test('Load Holidays, then Enrich Items with temporal and FX, through the node parameters', async () => {
	const [loaded] = await run({ operation: 'loadHolidays', holidayCountries: 'ZA', fromYear: 2026, toYear: 2026 });
	expect(loaded[0].json).toMatchObject({ countries: ['ZA'], publicHolidays: 13 });

	const [out] = await run({ operation: 'enrichItems', families: ['temporal', 'fx'], timestampColumn: 'at', amountColumn: 'amount' }, [
		{ json: { at: '2026-04-03T09:00:00+02:00', amount: 10, note: 'kept' } },
		{ json: { at: '2026-04-07T09:00:00+02:00', amount: 20 } },
	]);
	expect(out.map((o) => [o.json.day_of_week, o.json.is_public_holiday, o.json.amount_zar, o.json.fx_rate_missing, o.json.note, o.pairedItem])).toEqual([
		['Fri', true, 10, true, 'kept', { item: 0 }],
		['Tue', false, 20, true, undefined, { item: 1 }],
	]);
});

test('Enrich Items with Continue On Fail: a batch that cannot be enriched is one error item per input item', async () => {
	const parameters = { operation: 'enrichItems', families: ['temporal'], timestampColumn: 'at' };
	const items = [{ json: { at: 'not a time' } }, { json: { at: '2026-04-07T09:00:00+02:00' } }];
	await expect(run(parameters, items)).rejects.toThrow('Items do not fit the configured columns');
	const [out] = await run(parameters, items, true);
	expect(out).toEqual(
		[0, 1].map((item) => ({
			json: { error: expect.stringContaining('Items do not fit the configured columns'), description: expect.any(String) },
			pairedItem: { item },
		})),
	);
	// The offending value is not quoted back (it could be a row value).
	expect(JSON.stringify(out)).not.toContain('not a time');
});

test('Enrich Relation reports what it wrote; a bad column fails naming the parameter', async () => {
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate; CREATE TABLE intermediate.t AS SELECT 1 AS id, now() AS event_time`);
	const [out] = await run({ operation: 'enrichRelation', source: 'intermediate.t', target: 'intermediate.enr_t_enriched', families: ['temporal'] });
	expect(out[0].json).toMatchObject({ source: 'intermediate.t', target: 'intermediate.enr_t_enriched', rows: 1, families: ['temporal'] });
	await expect(
		run({
			operation: 'enrichRelation',
			source: 'intermediate.t',
			target: 'intermediate.enr_t_enriched',
			families: ['temporal'],
			timestampColumn: 'created_at',
		}),
	).rejects.toThrow('temporal.timestampColumn: column "created_at" is not in intermediate.t');
});

test('Enrich Relation never replaces a bronze table, the control schema or a mart: refused naming Target Relation, nothing touched', async () => {
	await wh.pool.query(
		`CREATE TABLE IF NOT EXISTS raw.auth_db__users (id bigint PRIMARY KEY, email text); INSERT INTO raw.auth_db__users VALUES (1, 'someone@example.com') ON CONFLICT DO NOTHING`,
	);
	await wh.pool.query(`CREATE TABLE IF NOT EXISTS intermediate.t2 AS SELECT 1 AS id, now() AS event_time`);
	const migrations = Number((await wh.pool.query(`SELECT count(*) AS n FROM dwh_control.schema_migrations`)).rows[0].n);
	for (const target of ['raw.auth_db__users', 'dwh_control.schema_migrations', 'marts.dim_holidays', 'intermediate.t']) {
		await expect(run({ operation: 'enrichRelation', source: 'intermediate.t2', target, families: ['temporal'] })).rejects.toThrow(
			`target must be intermediate.enr_<name> (Enrich Relation replaces only its own tables, never raw, dwh_control, compliance, an Anonymise output or a mart), got ${target}`,
		);
	}
	expect((await wh.pool.query(`SELECT id, email FROM raw.auth_db__users`)).rows).toEqual([{ id: '1', email: 'someone@example.com' }]);
	expect(Number((await wh.pool.query(`SELECT count(*) AS n FROM dwh_control.schema_migrations`)).rows[0].n)).toBe(migrations);
	expect((await wh.pool.query(`SELECT to_regclass('intermediate.t')::text AS t`)).rows[0].t).toBe('intermediate.t');
});

test('Build Mart Inputs: the enriched relations of the apps whose anonymised tables exist, the others reported as skipped', async () => {
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
		CREATE TABLE intermediate.int_auth_db__users AS SELECT 'u' || g AS user_hash, 'ZA'::text AS country, now() - interval '100 days' AS created_at FROM generate_series(1, 3) g;
		CREATE TABLE intermediate.int_ledger_db__transactions AS
		SELECT g::bigint AS transaction_id, 'u' || (g % 3 + 1) AS user_hash, 'debit'::text AS direction, 10.00::numeric(18,2) AS amount_zar, now() - make_interval(days => g) AS created_at
		  FROM generate_series(1, 6) g`);
	const [out] = await run({ operation: 'enrichMartInputs' });
	expect(out[0].json.built).toEqual([
		expect.objectContaining({ target: 'intermediate.enr_ledger_transactions', rows: 6, families: ['temporal', 'fx'] }),
		expect.objectContaining({ target: 'intermediate.enr_app_events', rows: 9, families: ['temporal', 'sessions'] }),
		expect.objectContaining({ target: 'intermediate.enr_users', rows: 3, families: ['segments'] }),
	]);
	expect(out[0].json.skipped).toEqual({
		'intermediate.enr_bidbaas_bids': 'intermediate.int_bidbaas_db__bids does not exist yet',
		'intermediate.enr_sdpkt_payments': 'intermediate.int_sdpkt_db__payments does not exist yet',
	});
	// Without auth_db.kyc_records the tier is unknown (NULL), not everyone 'no-kyc'.
	expect((await wh.pool.query(`SELECT count(*)::int AS n FROM intermediate.enr_users WHERE kyc_tier IS NULL AND lifecycle_stage = 'engaged'`)).rows[0].n).toBe(
		3,
	);
	await expect(run({ operation: 'enrichMartInputs', martInputsOnly: 'intermediate.enr_tx' })).rejects.toThrow(
		'only: intermediate.enr_tx is not a mart input — one of: intermediate.enr_ledger_transactions',
	);
});
