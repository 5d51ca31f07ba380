import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import { enrichItems } from '../../../src/enrich/enrichItems';
import { enrichRelation } from '../../../src/enrich/enrichRelation';
import { ingestFxRates } from '../../../src/enrich/fxIngest';
import { loadHolidays } from '../../../src/enrich/holidays';
import { loadPlaces } from '../../../src/enrich/loadPlaces';
import { CROSS_APP_FUNNEL, enrichMartInputs } from '../../../src/enrich/martInputs';
import { describeRelation } from '../../../src/enrich/relation';
import { createPool } from '../../../src/transport/postgres';
import type { DemoContext } from '../context';

const CHECK_INS = 'intermediate.int_tagme_db__check_ins';
const TRANSACTIONS = 'intermediate.int_ledger_db__transactions';

/**
 * Step 30 — Enrich (design doc §7): reference data first (ZA holidays from date-holidays, daily FX rates from an
 * exchangerate.host-compatible API, the bundled GeoNames places), then the anonymised relations the Anonymise step
 * wrote get temporal, FX, geographic, cross-app session and segment context as new intermediate.enr_* relations.
 * The FX API here is a local stand-in on 127.0.0.1 serving synthetic rates: the demo never leaves the machine.
 */
export default async function enrichStep(demo: DemoContext): Promise<void> {
	const wh = createPool(demo.warehouse, { role: 'demo-enrich' });
	const fx = await syntheticFxApi();
	try {
		demo.section('Enrich: reference data (holidays, FX rates, places)');
		const year = new Date().getUTCFullYear();
		const holidays = await loadHolidays(wh, { countries: ['ZA'], fromYear: year - 1, toYear: year + 1 });
		const to = new Date().toISOString().slice(0, 10);
		const from = `${year - 1}-01-01`;
		const rates = await ingestFxRates(wh, { baseUrl: fx.url, from, to });
		const places = await loadPlaces(wh, { source: 'bundled' });
		demo.table([
			{
				table: 'marts.dim_holidays',
				loaded: `${holidays.rows} holidays (${holidays.publicHolidays} public), ZA ${holidays.fromYear}-${holidays.toYear}`,
				source: holidays.source,
			},
			{
				table: 'marts.dim_fx_rates_daily',
				loaded: `${rates.rates} rates ${from}..${to} (${rates.inserted} new, ${rates.unchanged} unchanged)`,
				source: `synthetic, ${fx.url}`,
			},
			{ table: 'marts.dim_places', loaded: `${places.places} places, ${places.admin1} admin1 + ${places.admin2} admin2 names`, source: places.source },
		]);
		const { rows: observed } = await wh.query(
			`SELECT holiday_date::text, name FROM marts.dim_holidays WHERE is_substitute AND country_code = 'ZA' ORDER BY holiday_date`,
		);
		if (observed.length) demo.log(`Sunday holidays observed on Monday: ${observed.map((r) => `${r.holiday_date} (${r.name})`).join(', ')}`);

		demo.section('Enrich Items: a few points and instants (what a small flow would send)');
		const items = await enrichItems(
			wh,
			[
				{ where: 'Johannesburg CBD', lat: -26.2, lng: 28.04, at: `${year}-04-03T10:00:00+02:00`, amount: 250 },
				{ where: 'Cape Town', lat: -33.93, lng: 18.42, at: `${year}-06-28T21:15:00+02:00`, amount: 99.9 },
				{ where: 'Durban', lat: -29.86, lng: 31.03, at: `${year}-12-16T08:00:00+02:00`, amount: 1200 },
				{ where: 'Karoo', lat: -31.0, lng: 22.0, at: `${year}-08-10T12:00:00+02:00`, amount: 15 },
			],
			{
				families: {
					temporal: { timestampColumn: 'at', latitudeColumn: 'lat' },
					fx: { timestampColumn: 'at', amountColumn: 'amount' },
					geo: { latitudeColumn: 'lat', longitudeColumn: 'lng' },
				},
			},
		);
		demo.table(
			items.map((i) => ({
				where: i.where,
				city: i.city,
				admin1: i.admin1,
				urban_rural: i.urban_rural,
				day: i.day_of_week,
				holiday: i.is_public_holiday,
				payday_week: i.is_payday_week,
				season: i.season,
				amount_usd: i.amount_usd,
				fx_rate_missing: i.fx_rate_missing,
			})),
		);

		demo.section('Enrich Relation: anonymised intermediate.* → intermediate.enr_*');
		const present = await existing(wh, [CHECK_INS, TRANSACTIONS]);
		if (present.size === 0) {
			demo.log(`${CHECK_INS} and ${TRANSACTIONS} are not there (the Anonymise step did not run): nothing to enrich in the warehouse.`);
			return;
		}
		const results: Record<string, unknown>[] = [];
		const has = async (rel: string, cols: string[]) => present.has(rel) && cols.every((c) => present.get(rel)!.has(c));
		if (await has(CHECK_INS, ['user_hash', 'created_at', 'lat_grid', 'lng_grid'])) {
			results.push(
				summary(
					await enrichRelation(wh, {
						source: CHECK_INS,
						target: 'intermediate.enr_tagme_check_ins',
						families: {
							temporal: { timestampColumn: 'created_at', latitudeColumn: 'lat_grid' },
							geo: { latitudeColumn: 'lat_grid', longitudeColumn: 'lng_grid' },
						},
					}),
				),
			);
		} else if (present.has(CHECK_INS)) demo.log(`${CHECK_INS} lacks user_hash/created_at/lat_grid/lng_grid: skipped`);
		// What the marts read: FX and local day on every money movement, every app's events in one relation with
		// cross-app sessions, the funnel and attribution, user segments with the KYC tier (src/enrich/martInputs.ts).
		const inputs = await enrichMartInputs(wh);
		results.push(...inputs.built.map(summary));
		for (const [target, why] of Object.entries(inputs.skipped)) demo.log(`${target}: skipped (${why})`);
		demo.table(results);

		if (present.has(CHECK_INS) && (await has(CHECK_INS, ['lat_grid']))) {
			const { rows } = await wh.query(
				`SELECT city, admin1, urban_rural, count(*)::int AS check_ins FROM intermediate.enr_tagme_check_ins GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 6`,
			);
			demo.log('Check-ins by reverse-geocoded city:');
			demo.table(rows);
		}
		if (inputs.built.some((b) => b.target === 'intermediate.enr_users')) {
			const { rows } = await wh.query(
				`SELECT kyc_tier, lifecycle_stage, count(*)::int AS users, count(*) FILTER (WHERE revenue_band_zar_30d <> 'none')::int AS paying_30d
				   FROM intermediate.enr_users GROUP BY 1, 2 ORDER BY 1, 2`,
			);
			demo.log('Users by KYC tier (auth_db.kyc_records) and lifecycle stage (activity across every app):');
			demo.table(rows);
			const { rows: funnel } = await wh.query(
				`SELECT step, count(*)::int AS users FROM (SELECT user_hash, max(funnel_position) AS step FROM intermediate.enr_app_events GROUP BY 1) u GROUP BY 1 ORDER BY 1`,
			);
			demo.log(`Cross-app funnel ${CROSS_APP_FUNNEL.steps.map((st) => `${st.app} ${st.event}`).join(' → ')}: users by furthest step`);
			demo.table(funnel);
		}
	} finally {
		await new Promise<void>((resolve) => fx.server.close(() => resolve()));
		await wh.end();
	}
}

function summary(r: Awaited<ReturnType<typeof enrichRelation>>): Record<string, unknown> {
	return { source: r.source, target: r.target, rows: r.rows, families: r.families.join(', '), seconds: (r.durationMs / 1000).toFixed(2) };
}

async function existing(wh: pg.Pool, relations: string[]): Promise<Map<string, Set<string>>> {
	const out = new Map<string, Set<string>>();
	for (const rel of relations) {
		const cols = await describeRelation(wh, rel).catch(() => null);
		if (cols) out.set(rel, new Set(cols.types.keys()));
	}
	return out;
}

/** A loopback stand-in for exchangerate.host: smooth synthetic rates, weekdays only (like fiat sources). */
async function syntheticFxApi(): Promise<{ url: string; server: Server }> {
	const base: Record<string, number> = { USD: 0.055, EUR: 0.051, GBP: 0.044, BTC: 0.00000055 };
	const server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const from = Date.parse(`${url.searchParams.get('start_date')}T00:00:00Z`);
		const to = Date.parse(`${url.searchParams.get('end_date')}T00:00:00Z`);
		const rates: Record<string, Record<string, number>> = {};
		for (let t = from; t <= to; t += 86_400_000) {
			const d = new Date(t);
			if (d.getUTCDay() === 0 || d.getUTCDay() === 6) continue;
			const wobble = 1 + 0.02 * Math.sin(t / 86_400_000 / 9);
			rates[d.toISOString().slice(0, 10)] = Object.fromEntries(Object.entries(base).map(([c, r]) => [c, Number((r * wobble).toPrecision(6))]));
		}
		res.writeHead(200, { 'content-type': 'application/json' });
		res.end(JSON.stringify({ success: true, timeseries: true, base: 'ZAR', rates }));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
