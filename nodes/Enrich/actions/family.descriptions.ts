import type { INodeProperties } from 'n8n-workflow';
import { showWhen } from '../../shared/descriptions';
import { numberParameter, optionsParameter, requiredText, textParameter } from '../../shared/parameters';

const forFamilies = (...families: string[]) => showWhen('families', ...families);
const geoPlaces = { show: { families: ['geo'], geoBackend: ['places'] } };

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
	requiredText('Timestamp Column', 'timestampColumn', { default: 'event_time', displayOptions: forFamilies('temporal', 'fx', 'sessions', 'segments') }),
	textParameter('Time Zone', 'timeZone', {
		default: 'Africa/Johannesburg',
		description: 'IANA zone for local time (temporal) and for the day whose FX rate applies',
		displayOptions: forFamilies('temporal', 'fx'),
	}),
	textParameter('User Column', 'userColumn', { default: 'user_hash', displayOptions: forFamilies('sessions', 'segments') }),
	textParameter('App Column', 'appColumn', { default: 'app', displayOptions: forFamilies('sessions', 'segments') }),
	textParameter('Latitude Column', 'latitudeColumn', { default: 'gps_lat', displayOptions: forFamilies('geo') }),
	textParameter('Longitude Column', 'longitudeColumn', { default: 'gps_lng', displayOptions: forFamilies('geo') }),
	textParameter('Holiday Country', 'country', {
		default: 'ZA',
		description: 'ISO country whose public holidays (marts.dim_holidays) apply',
		displayOptions: forFamilies('temporal'),
	}),
	textParameter('Amount Column', 'amountColumn', { default: 'amount', displayOptions: forFamilies('fx') }),
	textParameter('Currency Column', 'currencyColumn', {
		description: 'Per-row currency code; leave empty when every amount is in Currency',
		displayOptions: forFamilies('fx'),
	}),
	textParameter('Currency', 'currency', {
		default: 'ZAR',
		description: 'Currency of amounts without a currency of their own',
		displayOptions: forFamilies('fx'),
	}),
	optionsParameter('Geo Backend', 'geoBackend', { default: 'places', displayOptions: forFamilies('geo') }, [
		{ name: 'Places Table', value: 'places', description: 'Nearest place in marts.dim_places (load it with Load Places)' },
		{ name: 'Geo Service', value: 'service', description: 'HTTP reverse_geocode service, answers cached in the warehouse' },
	]),
	textParameter('Geo Service URL', 'geoServiceUrl', {
		placeholder: 'http://127.0.0.1:8090',
		displayOptions: { show: { families: ['geo'], geoBackend: ['service'] } },
	}),
	numberParameter('Population Centre Minimum', 'populationCentreMin', 50000, {
		description: 'Inhabitants that make a place a population centre',
		displayOptions: geoPlaces,
	}),
	numberParameter('Urban Radius (Km)', 'urbanRadiusKm', 25, {
		description: 'Points within this distance of a population centre are urban',
		displayOptions: geoPlaces,
	}),
	textParameter('Event Column', 'eventColumn', { description: 'Needed when funnel steps name events', displayOptions: forFamilies('sessions') }),
	numberParameter('Session Gap (Minutes)', 'gapMinutes', 30, {
		description: 'A longer gap starts a new session; exactly this gap does not',
		displayOptions: forFamilies('sessions'),
	}),
	textParameter('Funnel Steps', 'funnelSteps', {
		placeholder: 'tagme:checkin, bidbaas:bid, sdpkt:pay',
		description: 'Comma-separated app:event steps in order; empty for no funnel_position',
		displayOptions: forFamilies('sessions'),
	}),
	optionsParameter('Funnel Scope', 'funnelScope', { default: 'session', displayOptions: forFamilies('sessions') }, [
		{ name: 'Session', value: 'session' },
		{ name: 'User', value: 'user' },
	]),
	textParameter('Attribution Revenue Column', 'attributionRevenueColumn', {
		placeholder: 'amount_zar',
		description: "Events where this column is > 0 get attribution_chain: the user's touchpoints across apps in the window before; empty for none",
		displayOptions: forFamilies('sessions'),
	}),
	numberParameter('Attribution Window (Hours)', 'attributionWindowHours', 24, {
		description: 'How far back attribution_chain looks (design doc §7.5: 24 hours)',
		displayOptions: forFamilies('sessions'),
	}),
	textParameter('As Of', 'asOf', {
		placeholder: '2026-06-30T00:00:00Z',
		description: 'End of the 30-day segment window; empty for now',
		displayOptions: forFamilies('segments'),
	}),
	textParameter('Activity Relation', 'activityRelation', {
		placeholder: 'intermediate.app_events',
		description: 'Where user activity is read from; empty for the relation being enriched',
		displayOptions: forFamilies('segments'),
	}),
	textParameter('Revenue Column', 'revenueColumn', {
		placeholder: 'amount_zar',
		description: 'ZAR revenue per activity row (FX writes amount_zar)',
		displayOptions: forFamilies('segments'),
	}),
	textParameter('KYC Relation', 'kycRelation', { placeholder: 'intermediate.auth_db__kyc_records', displayOptions: forFamilies('segments') }),
	textParameter('KYC Tier Column', 'kycTierColumn', { default: 'kyc_tier', displayOptions: forFamilies('segments') }),
];
