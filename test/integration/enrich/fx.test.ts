import { Enrich } from '../../../nodes/Enrich/Enrich.node';
import { enrichRelation, ingestFxRates } from '../../../src/enrich';
import { executeNode, postgresCredential } from '../nodes/nodeHarness';
import { enrichWarehouse, fixtureServer, json, type EnrichWarehouse, type FixtureServer } from './warehouse';

let wh: EnrichWarehouse;
let api: FixtureServer;
/** What the fixture API knows: units per 1 ZAR by day. 2026-03-03 and 2026-03-04 have no rates (a gap). */
const book: Record<string, Record<string, number>> = {
	'2026-03-01': { USD: 0.054, EUR: 0.05, GBP: 0.043, BTC: 0.00000054 },
	'2026-03-02': { USD: 0.055, EUR: 0.051, GBP: 0.044, BTC: 0.00000055 },
	'2026-03-05': { USD: 0.056, EUR: 0.052, GBP: 0.045, BTC: 0.00000056 },
};
let keyRequired = false;

beforeAll(async () => {
	wh = await enrichWarehouse('enrich_fx');
	api = await fixtureServer((url, _req, res) => {
		if (url.pathname !== '/timeseries') return json(res, 404, { success: false, error: 'not found' });
		if (keyRequired && url.searchParams.get('access_key') !== 'right-key') {
			return json(res, 200, { success: false, error: { code: 101, type: 'invalid_access_key', info: 'You have not supplied a valid API Access Key.' } });
		}
		const from = url.searchParams.get('start_date')!;
		const to = url.searchParams.get('end_date')!;
		const symbols = url.searchParams.get('symbols')!.split(',');
		const rates: Record<string, Record<string, number>> = {};
		for (const [day, r] of Object.entries(book)) {
			if (day < from || day > to) continue;
			rates[day] = Object.fromEntries(Object.entries(r).filter(([c]) => symbols.includes(c)));
		}
		json(res, 200, { success: true, timeseries: true, base: url.searchParams.get('base'), start_date: from, end_date: to, rates });
	});
	await wh.pool.query(`CREATE SCHEMA IF NOT EXISTS intermediate;
		CREATE TABLE intermediate.payments (id integer, paid_at timestamptz, amount numeric(14,2), currency text)`);
});
afterAll(async () => {
	await api?.close();
	await wh?.close();
});

test('ingest upserts daily rates idempotently, in chunks, and a corrected rate replaces the old one', async () => {
	const first = await ingestFxRates(wh.etl, { baseUrl: api.url, from: '2026-03-01', to: '2026-03-05', chunkDays: 2 });
	expect(first).toMatchObject({ requests: 3, rates: 12, inserted: 12, updated: 0, unchanged: 0 });
	expect(api.requests.map((u) => `${u.searchParams.get('start_date')}..${u.searchParams.get('end_date')}`)).toEqual([
		'2026-03-01..2026-03-02',
		'2026-03-03..2026-03-04',
		'2026-03-05..2026-03-05',
	]);
	expect(api.requests[0].searchParams.get('base')).toBe('ZAR');

	const again = await ingestFxRates(wh.etl, { baseUrl: api.url, from: '2026-03-01', to: '2026-03-05' });
	expect(again).toMatchObject({ requests: 1, rates: 12, inserted: 0, updated: 0, unchanged: 12 });

	book['2026-03-05'].USD = 0.0561;
	const corrected = await ingestFxRates(wh.etl, { baseUrl: api.url, from: '2026-03-05', to: '2026-03-05' });
	expect(corrected).toMatchObject({ inserted: 0, updated: 1, unchanged: 3 });
	const { rows } = await wh.pool.query(
		`SELECT currency, rate_date, units_per_zar FROM marts.dim_fx_rates_daily WHERE rate_date = '2026-03-05' ORDER BY currency`,
	);
	expect(rows).toEqual([
		{ currency: 'BTC', rate_date: '2026-03-05', units_per_zar: '0.00000056' },
		{ currency: 'EUR', rate_date: '2026-03-05', units_per_zar: '0.052' },
		{ currency: 'GBP', rate_date: '2026-03-05', units_per_zar: '0.045' },
		{ currency: 'USD', rate_date: '2026-03-05', units_per_zar: '0.0561' },
	]);
});

test('the source refusing the key is an error that names the problem and never prints the key', async () => {
	keyRequired = true;
	try {
		const err = await ingestFxRates(wh.etl, { baseUrl: api.url, accessKey: 's3cret-wrong', from: '2026-03-01', to: '2026-03-01' }).catch((e: Error) => e);
		expect(err).toBeInstanceOf(Error);
		expect((err as Error).message).toContain('You have not supplied a valid API Access Key.');
		expect((err as Error).message).toContain('access_key=***');
		expect((err as Error).message).not.toContain('s3cret-wrong');
		const ok = await ingestFxRates(wh.etl, { baseUrl: api.url, accessKey: 'right-key', from: '2026-03-01', to: '2026-03-01' });
		expect(ok.rates).toBe(4);
	} finally {
		keyRequired = false;
	}
});

test('the Enrich node takes the FX key from the DataAcuity Enrichment APIs credential, never from a parameter', async () => {
	keyRequired = true;
	try {
		const run = (credentials: Parameters<typeof executeNode>[0]['credentials']) =>
			executeNode({
				nodeType: new Enrich(),
				parameters: { operation: 'ingestFxRates', fxBaseUrl: api.url, fxFrom: '2026-03-02', fxTo: '2026-03-02', fxCurrencies: 'USD' },
				credentials,
			});
		const warehouse = { dataAcuityPostgres: postgresCredential(wh.connection) };
		const keyless = await run(warehouse).catch((e: Error) => e);
		expect(keyless).toBeInstanceOf(Error);
		expect(JSON.stringify({ m: (keyless as Error).message, d: (keyless as { description?: string }).description })).toContain('valid API Access Key');
		const out = await run({ ...warehouse, dataAcuityEnrichmentApis: { fxAccessKey: 'right-key', geoServiceApiKey: '' } });
		expect(out[0][0].json).toMatchObject({ rates: 1 });
		expect(api.requests.at(-1)!.searchParams.get('access_key')).toBe('right-key');
	} finally {
		keyRequired = false;
	}
});

test('amounts convert with the rate of the local day, fall back to the latest earlier rate, and flag rows with no rate', async () => {
	await wh.pool.query(`INSERT INTO intermediate.payments VALUES
		(1, '2026-03-02T10:00:00+02:00', 100.00, 'ZAR'),
		(2, '2026-03-02T10:00:00+02:00', 10.00, 'USD'),
		(3, '2026-03-02T23:30:00Z', 100.00, NULL),
		(4, '2026-03-04T12:00:00+02:00', 50.00, 'eur'),
		(5, '2026-03-05T08:00:00+02:00', 200.00, 'ZAR'),
		(6, '2026-02-27T12:00:00+02:00', 100.00, 'ZAR'),
		(7, '2026-03-05T08:00:00+02:00', 20.00, 'JPY'),
		(8, '2026-03-05T08:00:00+02:00', NULL, 'ZAR')`);
	const report = await enrichRelation(wh.etl, {
		source: 'intermediate.payments',
		target: 'intermediate.enr_payments_fx',
		families: { fx: { amountColumn: 'amount', timestampColumn: 'paid_at', currencyColumn: 'currency' } },
	});
	expect(report.rows).toBe(8);
	const { rows } = await wh.pool.query(
		`SELECT id, amount_zar, amount_usd, amount_btc_sats, fx_rate_date, fx_rate_missing FROM intermediate.enr_payments_fx ORDER BY id`,
	);
	expect(rows).toEqual([
		{ id: 1, amount_zar: '100.00', amount_usd: '5.50', amount_btc_sats: '5500', fx_rate_date: '2026-03-02', fx_rate_missing: false },
		// 10 USD / 0.055 = 181.8181… ZAR
		{ id: 2, amount_zar: '181.82', amount_usd: '10.00', amount_btc_sats: '10000', fx_rate_date: '2026-03-02', fx_rate_missing: false },
		// 01:30 on 3 March in Johannesburg: no rate that day, so 2 March's
		{ id: 3, amount_zar: '100.00', amount_usd: '5.50', amount_btc_sats: '5500', fx_rate_date: '2026-03-02', fx_rate_missing: false },
		// 50 EUR / 0.051 = 980.39 ZAR; × 0.055 = 53.92 USD
		{ id: 4, amount_zar: '980.39', amount_usd: '53.92', amount_btc_sats: '53922', fx_rate_date: '2026-03-02', fx_rate_missing: false },
		{ id: 5, amount_zar: '200.00', amount_usd: '11.22', amount_btc_sats: '11200', fx_rate_date: '2026-03-05', fx_rate_missing: false },
		// before the first rate: ZAR needs none, USD/BTC have none
		{ id: 6, amount_zar: '100.00', amount_usd: null, amount_btc_sats: null, fx_rate_date: '2026-02-27', fx_rate_missing: true },
		// a currency the table does not hold
		{ id: 7, amount_zar: null, amount_usd: null, amount_btc_sats: null, fx_rate_date: '2026-03-05', fx_rate_missing: true },
		{ id: 8, amount_zar: null, amount_usd: null, amount_btc_sats: null, fx_rate_date: null, fx_rate_missing: null },
	]);
});

test('a ZAR-native relation keeps its amount_zar and gains only the USD and BTC amounts', async () => {
	await wh.pool.query(
		`CREATE TABLE intermediate.ledger AS SELECT 1 AS id, timestamptz '2026-03-02T10:00:00+02:00' AS created_at, 100.00::numeric(18,2) AS amount_zar`,
	);
	const report = await enrichRelation(wh.etl, {
		source: 'intermediate.ledger',
		target: 'intermediate.enr_ledger_fx',
		families: { fx: { amountColumn: 'amount_zar', timestampColumn: 'created_at' } },
	});
	expect(report.columnsAdded).toEqual(['amount_usd', 'amount_btc_sats', 'fx_rate_date', 'fx_rate_missing']);
	const { rows } = await wh.pool.query(`SELECT * FROM intermediate.enr_ledger_fx`);
	expect(rows).toEqual([
		{
			id: 1,
			created_at: '2026-03-02 08:00:00+00',
			amount_zar: '100.00',
			amount_usd: '5.50',
			amount_btc_sats: '5500',
			fx_rate_date: '2026-03-02',
			fx_rate_missing: false,
		},
	]);
});
