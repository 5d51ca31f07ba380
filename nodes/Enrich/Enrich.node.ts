import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData, type INodeProperties, type INodeType, type INodeTypeDescription } from 'n8n-workflow';
import { enrichItems } from '../../src/enrich/enrichItems';
import { enrichRelation } from '../../src/enrich/enrichRelation';
import { ingestFxRates } from '../../src/enrich/fxIngest';
import { loadHolidays } from '../../src/enrich/holidays';
import { loadPlaces } from '../../src/enrich/loadPlaces';
import { enrichMartInputs } from '../../src/enrich/martInputs';
import { createPool } from '../../src/transport/postgres';
import { credentialTestMethods } from '../shared/credentialTest';
import { ENRICHMENT_APIS_CREDENTIAL, POSTGRES_TEST_METHOD, WAREHOUSE_CREDENTIAL } from '../shared/credentialTypes';
import type { ErrorScope } from '../shared/errorDescription';
import { mapItems } from '../shared/items';
import { toNodeError } from '../shared/nodeErrors';
import { readWarehouseConnection } from '../shared/pipelineContext';
import { familiesFromParameters, type EnrichmentApiKeys, type FamilyParameters } from './familyParameters';

type Operation = 'enrichRelation' | 'enrichItems' | 'enrichMartInputs' | 'ingestFxRates' | 'loadHolidays' | 'loadPlaces';

const ENRICH_OPS = ['enrichRelation', 'enrichItems'];
const forFamilies = (...families: string[]) => ({ show: { operation: ENRICH_OPS, families } });
const list = (s: string) =>
	s
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

const familyProperties: INodeProperties[] = [
	{
		displayName: 'Families',
		name: 'families',
		type: 'multiOptions',
		options: [
			{ name: 'Cross-App Sessions', value: 'sessions', description: 'Adds cross_app_session_id (30-minute gap across apps), funnel_position, attribution_chain' },
			{ name: 'FX', value: 'fx', description: 'Adds amount_zar, amount_usd, amount_btc_sats at the rate of the day (latest earlier rate as fallback)' },
			{ name: 'Geographic', value: 'geo', description: 'Adds city, admin1, admin2, country, distance to the nearest population centre, urban/rural' },
			{ name: 'Temporal', value: 'temporal', description: 'Adds day_of_week, hour_of_day, is_weekend, is_public_holiday, is_payday_week, season' },
			{ name: 'User Segments', value: 'segments', description: 'Adds kyc_tier, lifecycle_stage, apps_used_30d, revenue_band_zar_30d' },
		],
		default: ['temporal'],
		required: true,
		displayOptions: { show: { operation: ENRICH_OPS } },
	},
	{ displayName: 'Timestamp Column', name: 'timestampColumn', type: 'string', default: 'event_time', required: true, displayOptions: forFamilies('temporal', 'fx', 'sessions', 'segments') },
	{ displayName: 'Time Zone', name: 'timeZone', type: 'string', default: 'Africa/Johannesburg', description: 'IANA zone for local time (temporal) and for the day whose FX rate applies', displayOptions: forFamilies('temporal', 'fx') },
	{ displayName: 'User Column', name: 'userColumn', type: 'string', default: 'user_hash', displayOptions: forFamilies('sessions', 'segments') },
	{ displayName: 'App Column', name: 'appColumn', type: 'string', default: 'app', displayOptions: forFamilies('sessions', 'segments') },
	{ displayName: 'Latitude Column', name: 'latitudeColumn', type: 'string', default: 'gps_lat', displayOptions: forFamilies('geo') },
	{ displayName: 'Longitude Column', name: 'longitudeColumn', type: 'string', default: 'gps_lng', displayOptions: forFamilies('geo') },
	{ displayName: 'Holiday Country', name: 'country', type: 'string', default: 'ZA', description: 'ISO country whose public holidays (marts.dim_holidays) apply', displayOptions: forFamilies('temporal') },
	{ displayName: 'Amount Column', name: 'amountColumn', type: 'string', default: 'amount', displayOptions: forFamilies('fx') },
	{ displayName: 'Currency Column', name: 'currencyColumn', type: 'string', default: '', description: 'Per-row currency code; leave empty when every amount is in Currency', displayOptions: forFamilies('fx') },
	{ displayName: 'Currency', name: 'currency', type: 'string', default: 'ZAR', description: 'Currency of amounts without a currency of their own', displayOptions: forFamilies('fx') },
	{
		displayName: 'Geo Backend',
		name: 'geoBackend',
		type: 'options',
		options: [
			{ name: 'Places Table', value: 'places', description: 'Nearest place in marts.dim_places (load it with Load Places)' },
			{ name: 'Geo Service', value: 'service', description: 'HTTP reverse_geocode service, answers cached in the warehouse' },
		],
		default: 'places',
		displayOptions: forFamilies('geo'),
	},
	{ displayName: 'Geo Service URL', name: 'geoServiceUrl', type: 'string', default: '', placeholder: 'http://127.0.0.1:8090', displayOptions: { show: { operation: ENRICH_OPS, families: ['geo'], geoBackend: ['service'] } } },
	{ displayName: 'Population Centre Minimum', name: 'populationCentreMin', type: 'number', default: 50000, description: 'Inhabitants that make a place a population centre', displayOptions: { show: { operation: ENRICH_OPS, families: ['geo'], geoBackend: ['places'] } } },
	{ displayName: 'Urban Radius (Km)', name: 'urbanRadiusKm', type: 'number', default: 25, description: 'Points within this distance of a population centre are urban', displayOptions: { show: { operation: ENRICH_OPS, families: ['geo'], geoBackend: ['places'] } } },
	{ displayName: 'Event Column', name: 'eventColumn', type: 'string', default: '', description: 'Needed when funnel steps name events', displayOptions: forFamilies('sessions') },
	{ displayName: 'Session Gap (Minutes)', name: 'gapMinutes', type: 'number', default: 30, description: 'A longer gap starts a new session; exactly this gap does not', displayOptions: forFamilies('sessions') },
	{ displayName: 'Funnel Steps', name: 'funnelSteps', type: 'string', default: '', placeholder: 'tagme:checkin, bidbaas:bid, sdpkt:pay', description: 'Comma-separated app:event steps in order; empty for no funnel_position', displayOptions: forFamilies('sessions') },
	{
		displayName: 'Funnel Scope',
		name: 'funnelScope',
		type: 'options',
		options: [
			{ name: 'Session', value: 'session' },
			{ name: 'User', value: 'user' },
		],
		default: 'session',
		displayOptions: forFamilies('sessions'),
	},
	{ displayName: 'Attribution Revenue Column', name: 'attributionRevenueColumn', type: 'string', default: '', placeholder: 'amount_zar', description: 'Events where this column is > 0 get attribution_chain: the user\'s touchpoints across apps in the window before; empty for none', displayOptions: forFamilies('sessions') },
	{ displayName: 'Attribution Window (Hours)', name: 'attributionWindowHours', type: 'number', default: 24, description: 'How far back attribution_chain looks (design doc §7.5: 24 hours)', displayOptions: forFamilies('sessions') },
	{ displayName: 'As Of', name: 'asOf', type: 'string', default: '', placeholder: '2026-06-30T00:00:00Z', description: 'End of the 30-day segment window; empty for now', displayOptions: forFamilies('segments') },
	{ displayName: 'Activity Relation', name: 'activityRelation', type: 'string', default: '', placeholder: 'intermediate.app_events', description: 'Where user activity is read from; empty for the relation being enriched', displayOptions: forFamilies('segments') },
	{ displayName: 'Revenue Column', name: 'revenueColumn', type: 'string', default: '', placeholder: 'amount_zar', description: 'ZAR revenue per activity row (FX writes amount_zar)', displayOptions: forFamilies('segments') },
	{ displayName: 'KYC Relation', name: 'kycRelation', type: 'string', default: '', placeholder: 'intermediate.auth_db__kyc_records', displayOptions: forFamilies('segments') },
	{ displayName: 'KYC Tier Column', name: 'kycTierColumn', type: 'string', default: 'kyc_tier', displayOptions: forFamilies('segments') },
];

export class Enrich implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Enrich',
		name: 'enrich',
		icon: 'file:enrich.svg',
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] }}',
		description: 'Attach geographic, temporal, FX, user-segment and cross-app context to anonymised data',
		defaults: { name: 'Enrich' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: [
			{ name: WAREHOUSE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Warehouse (dwh)' },
			// API keys of the FX and geo services, when they need one.
			{ name: ENRICHMENT_APIS_CREDENTIAL, required: false, displayName: 'Enrichment APIs (FX, geo keys; optional)' },
		],
		properties: [
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Build Mart Inputs', value: 'enrichMartInputs', action: 'Build the enriched relations the marts read', description: 'The intermediate.enr_* relations dbt\'s marts read (FX, local day, cross-app events, user segments), in order; after Anonymise, before dbt' },
					{ name: 'Enrich Items', value: 'enrichItems', action: 'Enrich the input items', description: 'Small flows: the same families over the input items' },
					{ name: 'Enrich Relation', value: 'enrichRelation', action: 'Enrich a warehouse relation', description: 'Set-based in the warehouse: writes a new relation with the families\' columns' },
					{ name: 'Ingest FX Rates', value: 'ingestFxRates', action: 'Ingest daily FX rates', description: 'Daily ZAR/USD/EUR/GBP/BTC rates from an exchangerate.host-compatible API' },
					{ name: 'Load Holidays', value: 'loadHolidays', action: 'Load public holidays', description: 'Fill marts.dim_holidays from the packaged date-holidays data (1990-2060)' },
					{ name: 'Load Places', value: 'loadPlaces', action: 'Load places for reverse geocoding', description: 'Fill marts.dim_places from GeoNames data (bundled or a cities*.txt file)' },
				],
				default: 'enrichRelation',
			},
			{ displayName: 'Only', name: 'martInputsOnly', type: 'string', default: '', placeholder: 'intermediate.enr_ledger_transactions', description: 'Comma-separated mart inputs to rebuild (the cross-app events and users follow); empty builds all', displayOptions: { show: { operation: ['enrichMartInputs'] } } },
			{ displayName: 'As Of', name: 'martInputsAsOf', type: 'string', default: '', placeholder: '2026-06-30T22:00:00Z', description: 'End of the segments\' 30-day window; empty: now', displayOptions: { show: { operation: ['enrichMartInputs'] } } },
			{ displayName: 'Source Relation', name: 'source', type: 'string', default: '', required: true, placeholder: 'intermediate.ledger_transactions', displayOptions: { show: { operation: ['enrichRelation'] } } },
			{ displayName: 'Target Relation', name: 'target', type: 'string', default: '', required: true, placeholder: 'intermediate.enr_ledger_transactions', description: 'Must be intermediate.enr_&lt;name&gt;; replaced atomically on every run', displayOptions: { show: { operation: ['enrichRelation'] } } },
			...familyProperties,
			{ displayName: 'FX API Base URL', name: 'fxBaseUrl', type: 'string', default: '', required: true, placeholder: 'http://127.0.0.1:8089', description: 'Root of an exchangerate.host-compatible API (GET /timeseries)', displayOptions: { show: { operation: ['ingestFxRates'] } } },
			{ displayName: 'From Date', name: 'fxFrom', type: 'string', default: '', required: true, placeholder: '2026-01-01', displayOptions: { show: { operation: ['ingestFxRates'] } } },
			{ displayName: 'To Date', name: 'fxTo', type: 'string', default: '', required: true, placeholder: '2026-01-31', displayOptions: { show: { operation: ['ingestFxRates'] } } },
			{ displayName: 'Currencies', name: 'fxCurrencies', type: 'string', default: 'USD,EUR,GBP,BTC', description: 'Comma-separated; stored as units per ZAR', displayOptions: { show: { operation: ['ingestFxRates'] } } },
			{ displayName: 'Countries', name: 'holidayCountries', type: 'string', default: 'ZA', description: 'Comma-separated ISO country codes', displayOptions: { show: { operation: ['loadHolidays'] } } },
			{ displayName: 'From Year', name: 'fromYear', type: 'number', default: 2020, displayOptions: { show: { operation: ['loadHolidays'] } } },
			{ displayName: 'To Year', name: 'toYear', type: 'number', default: 2030, displayOptions: { show: { operation: ['loadHolidays'] } } },
			{
				displayName: 'Places Source',
				name: 'placesSource',
				type: 'options',
				options: [
					{ name: 'Bundled (GeoNames Cities1000)', value: 'bundled', description: 'Offline: ~135k places shipped with this package' },
					{ name: 'GeoNames File', value: 'file', description: 'A cities*.txt file on the n8n host' },
				],
				default: 'bundled',
				displayOptions: { show: { operation: ['loadPlaces'] } },
			},
			{ displayName: 'Cities File', name: 'citiesFile', type: 'string', default: '', required: true, placeholder: '/data/geonames/cities1000.txt', displayOptions: { show: { operation: ['loadPlaces'], placesSource: ['file'] } } },
			{ displayName: 'Admin1 Codes File', name: 'admin1File', type: 'string', default: '', placeholder: '/data/geonames/admin1CodesASCII.txt', displayOptions: { show: { operation: ['loadPlaces'], placesSource: ['file'] } } },
			{ displayName: 'Admin2 Codes File', name: 'admin2File', type: 'string', default: '', placeholder: '/data/geonames/admin2Codes.txt', displayOptions: { show: { operation: ['loadPlaces'], placesSource: ['file'] } } },
			{ displayName: 'Only Countries', name: 'placesCountries', type: 'string', default: '', description: 'Comma-separated ISO codes; empty loads every country', displayOptions: { show: { operation: ['loadPlaces'] } } },
		],
	};

	methods = {
		credentialTest: credentialTestMethods,
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const fns = this;
		const scope: ErrorScope = {};
		const warehouse = await readWarehouseConnection(fns);
		scope.warehouse = warehouse;
		// Only read when selected: getCredentials throws for a credential the node has none of.
		const keys: EnrichmentApiKeys = {};
		if (fns.getNode().credentials?.[ENRICHMENT_APIS_CREDENTIAL]) {
			const c = await fns.getCredentials(ENRICHMENT_APIS_CREDENTIAL);
			keys.fxAccessKey = typeof c.fxAccessKey === 'string' ? c.fxAccessKey : '';
			keys.geoServiceApiKey = typeof c.geoServiceApiKey === 'string' ? c.geoServiceApiKey : '';
		}
		const pool = createPool(warehouse, { role: 'enrich' });
		try {
			const operation = fns.getNodeParameter('operation', 0) as Operation;
			const families = (i: number) => {
				const p: Record<string, unknown> = { families: fns.getNodeParameter('families', i, []) as FamilyParameters['families'] };
				for (const prop of familyProperties) if (prop.name !== 'families') p[prop.name] = fns.getNodeParameter(prop.name, i, prop.default);
				return familiesFromParameters(p as unknown as FamilyParameters, keys);
			};
			if (operation === 'enrichItems') {
				const items = fns.getInputData();
				try {
					const out = await enrichItems(pool, items.map((it) => it.json), { families: families(0) });
					return [out.map((json, i) => ({ json: json as IDataObject, pairedItem: { item: i } }))];
				} catch (err) {
					throw toNodeError(fns.getNode(), err, scope);
				}
			}
			return [
				await mapItems(fns, scope, async (i) => {
					switch (operation) {
						case 'enrichRelation':
							return { ...(await enrichRelation(pool, { source: fns.getNodeParameter('source', i) as string, target: fns.getNodeParameter('target', i) as string, families: families(i) }, (m) => fns.logger.info(m))) } as unknown as IDataObject;
						case 'enrichMartInputs': {
							const asOf = (fns.getNodeParameter('martInputsAsOf', i, '') as string).trim();
							const r = await enrichMartInputs(pool, { only: list(fns.getNodeParameter('martInputsOnly', i, '') as string), asOf: asOf || undefined, log: (m) => fns.logger.info(m) });
							return { built: r.built.map((b) => ({ target: b.target, rows: b.rows, families: b.families, durationMs: b.durationMs })), skipped: r.skipped } as unknown as IDataObject;
						}
						case 'ingestFxRates':
							return {
								...(await ingestFxRates(pool, {
									baseUrl: fns.getNodeParameter('fxBaseUrl', i) as string,
									accessKey: keys.fxAccessKey ?? '',
									from: fns.getNodeParameter('fxFrom', i) as string,
									to: fns.getNodeParameter('fxTo', i) as string,
									currencies: list(fns.getNodeParameter('fxCurrencies', i, 'USD,EUR,GBP,BTC') as string),
								})),
							};
						case 'loadHolidays':
							return {
								...(await loadHolidays(pool, {
									countries: list(fns.getNodeParameter('holidayCountries', i, 'ZA') as string),
									fromYear: fns.getNodeParameter('fromYear', i) as number,
									toYear: fns.getNodeParameter('toYear', i) as number,
								})),
							} as unknown as IDataObject;
						case 'loadPlaces': {
							const source = fns.getNodeParameter('placesSource', i, 'bundled') as 'bundled' | 'file';
							const file = (name: string) => (source === 'file' ? (fns.getNodeParameter(name, i, '') as string) || undefined : undefined);
							return {
								...(await loadPlaces(pool, {
									source,
									citiesFile: file('citiesFile'),
									admin1File: file('admin1File'),
									admin2File: file('admin2File'),
									countries: list(fns.getNodeParameter('placesCountries', i, '') as string),
								})),
							};
						}
						default:
							throw new NodeOperationError(fns.getNode(), `Unknown operation ${String(operation)}`, { itemIndex: i });
					}
				}),
			];
		} finally {
			await pool.end().catch(() => undefined);
		}
	}
}
