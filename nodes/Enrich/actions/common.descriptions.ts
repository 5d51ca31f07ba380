import type { ICredentialDataDecryptedObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type pg from 'pg';
import type { FamiliesInput } from '../../../src/enrich/config.schema';
import { ENRICHMENT_APIS_CREDENTIAL } from '../../shared/credentialTypes';
import type { Resources } from '../../shared/items';
import { postgresPool } from '../../shared/resources';
import { familiesFromParameters, type EnrichmentApiKeys, type FamilyParameters } from '../familyParameters';

const forFamilies = (...families: string[]) => ({ show: { families } });

/** The families and their columns, shown by Enrich Relation and Enrich Items (each under its own operation). */
export const familyProperties: INodeProperties[] = [
	{
		displayName: 'Families',
		name: 'families',
		type: 'multiOptions',
		options: [
			{
				name: 'Cross-App Sessions',
				value: 'sessions',
				description: 'Adds cross_app_session_id (30-minute gap across apps), funnel_position, attribution_chain',
			},
			{ name: 'FX', value: 'fx', description: 'Adds amount_zar, amount_usd, amount_btc_sats at the rate of the day (latest earlier rate as fallback)' },
			{ name: 'Geographic', value: 'geo', description: 'Adds city, admin1, admin2, country, distance to the nearest population centre, urban/rural' },
			{ name: 'Temporal', value: 'temporal', description: 'Adds day_of_week, hour_of_day, is_weekend, is_public_holiday, is_payday_week, season' },
			{ name: 'User Segments', value: 'segments', description: 'Adds kyc_tier, lifecycle_stage, apps_used_30d, revenue_band_zar_30d' },
		],
		default: ['temporal'],
		required: true,
	},
	{
		displayName: 'Timestamp Column',
		name: 'timestampColumn',
		type: 'string',
		default: 'event_time',
		required: true,
		displayOptions: forFamilies('temporal', 'fx', 'sessions', 'segments'),
	},
	{
		displayName: 'Time Zone',
		name: 'timeZone',
		type: 'string',
		default: 'Africa/Johannesburg',
		description: 'IANA zone for local time (temporal) and for the day whose FX rate applies',
		displayOptions: forFamilies('temporal', 'fx'),
	},
	{ displayName: 'User Column', name: 'userColumn', type: 'string', default: 'user_hash', displayOptions: forFamilies('sessions', 'segments') },
	{ displayName: 'App Column', name: 'appColumn', type: 'string', default: 'app', displayOptions: forFamilies('sessions', 'segments') },
	{ displayName: 'Latitude Column', name: 'latitudeColumn', type: 'string', default: 'gps_lat', displayOptions: forFamilies('geo') },
	{ displayName: 'Longitude Column', name: 'longitudeColumn', type: 'string', default: 'gps_lng', displayOptions: forFamilies('geo') },
	{
		displayName: 'Holiday Country',
		name: 'country',
		type: 'string',
		default: 'ZA',
		description: 'ISO country whose public holidays (marts.dim_holidays) apply',
		displayOptions: forFamilies('temporal'),
	},
	{ displayName: 'Amount Column', name: 'amountColumn', type: 'string', default: 'amount', displayOptions: forFamilies('fx') },
	{
		displayName: 'Currency Column',
		name: 'currencyColumn',
		type: 'string',
		default: '',
		description: 'Per-row currency code; leave empty when every amount is in Currency',
		displayOptions: forFamilies('fx'),
	},
	{
		displayName: 'Currency',
		name: 'currency',
		type: 'string',
		default: 'ZAR',
		description: 'Currency of amounts without a currency of their own',
		displayOptions: forFamilies('fx'),
	},
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
	{
		displayName: 'Geo Service URL',
		name: 'geoServiceUrl',
		type: 'string',
		default: '',
		placeholder: 'http://127.0.0.1:8090',
		displayOptions: { show: { families: ['geo'], geoBackend: ['service'] } },
	},
	{
		displayName: 'Population Centre Minimum',
		name: 'populationCentreMin',
		type: 'number',
		default: 50000,
		description: 'Inhabitants that make a place a population centre',
		displayOptions: { show: { families: ['geo'], geoBackend: ['places'] } },
	},
	{
		displayName: 'Urban Radius (Km)',
		name: 'urbanRadiusKm',
		type: 'number',
		default: 25,
		description: 'Points within this distance of a population centre are urban',
		displayOptions: { show: { families: ['geo'], geoBackend: ['places'] } },
	},
	{
		displayName: 'Event Column',
		name: 'eventColumn',
		type: 'string',
		default: '',
		description: 'Needed when funnel steps name events',
		displayOptions: forFamilies('sessions'),
	},
	{
		displayName: 'Session Gap (Minutes)',
		name: 'gapMinutes',
		type: 'number',
		default: 30,
		description: 'A longer gap starts a new session; exactly this gap does not',
		displayOptions: forFamilies('sessions'),
	},
	{
		displayName: 'Funnel Steps',
		name: 'funnelSteps',
		type: 'string',
		default: '',
		placeholder: 'tagme:checkin, bidbaas:bid, sdpkt:pay',
		description: 'Comma-separated app:event steps in order; empty for no funnel_position',
		displayOptions: forFamilies('sessions'),
	},
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
	{
		displayName: 'Attribution Revenue Column',
		name: 'attributionRevenueColumn',
		type: 'string',
		default: '',
		placeholder: 'amount_zar',
		description: "Events where this column is > 0 get attribution_chain: the user's touchpoints across apps in the window before; empty for none",
		displayOptions: forFamilies('sessions'),
	},
	{
		displayName: 'Attribution Window (Hours)',
		name: 'attributionWindowHours',
		type: 'number',
		default: 24,
		description: 'How far back attribution_chain looks (design doc §7.5: 24 hours)',
		displayOptions: forFamilies('sessions'),
	},
	{
		displayName: 'As Of',
		name: 'asOf',
		type: 'string',
		default: '',
		placeholder: '2026-06-30T00:00:00Z',
		description: 'End of the 30-day segment window; empty for now',
		displayOptions: forFamilies('segments'),
	},
	{
		displayName: 'Activity Relation',
		name: 'activityRelation',
		type: 'string',
		default: '',
		placeholder: 'intermediate.app_events',
		description: 'Where user activity is read from; empty for the relation being enriched',
		displayOptions: forFamilies('segments'),
	},
	{
		displayName: 'Revenue Column',
		name: 'revenueColumn',
		type: 'string',
		default: '',
		placeholder: 'amount_zar',
		description: 'ZAR revenue per activity row (FX writes amount_zar)',
		displayOptions: forFamilies('segments'),
	},
	{
		displayName: 'KYC Relation',
		name: 'kycRelation',
		type: 'string',
		default: '',
		placeholder: 'intermediate.auth_db__kyc_records',
		displayOptions: forFamilies('segments'),
	},
	{ displayName: 'KYC Tier Column', name: 'kycTierColumn', type: 'string', default: 'kyc_tier', displayOptions: forFamilies('segments') },
];

/** The family parameters of item `i` as the core's families config; keys come from the optional credential. */
export function familiesOf(fns: IExecuteFunctions, i: number, keys: EnrichmentApiKeys): FamiliesInput {
	const p: Record<string, unknown> = { families: fns.getNodeParameter('families', i, []) as FamilyParameters['families'] };
	for (const prop of familyProperties) if (prop.name !== 'families') p[prop.name] = fns.getNodeParameter(prop.name, i, prop.default);
	return familiesFromParameters(p as unknown as FamilyParameters, keys);
}

export const list = (s: string) =>
	s
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

/** The warehouse pool, and the FX / geo keys when a DataAcuity Enrichment APIs credential is selected. */
export function enrichResources(fns: IExecuteFunctions): Resources<{ pool: pg.Pool; keys: EnrichmentApiKeys }> {
	const warehouse = postgresPool(fns, 'enrich');
	return {
		open: async (scope) => {
			// Only read when selected: getCredentials throws for a credential the node has none of.
			const keys: EnrichmentApiKeys = {};
			if (fns.getNode().credentials?.[ENRICHMENT_APIS_CREDENTIAL]) {
				const c = await fns.getCredentials<ICredentialDataDecryptedObject>(ENRICHMENT_APIS_CREDENTIAL);
				keys.fxAccessKey = typeof c.fxAccessKey === 'string' ? c.fxAccessKey : '';
				keys.geoServiceApiKey = typeof c.geoServiceApiKey === 'string' ? c.geoServiceApiKey : '';
			}
			return { pool: await warehouse.open(scope), keys };
		},
		close: ({ pool }) => warehouse.close(pool),
	};
}
