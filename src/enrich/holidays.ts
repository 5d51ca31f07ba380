import Holidays from 'date-holidays';
import type pg from 'pg';
import { withTransaction } from '../transport/postgres';
import { holidaysLoadSchema, type HolidaysLoadInput } from './config.schema';
import { parseConfig } from './parseConfig';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const LIBRARY = `date-holidays@${(require('date-holidays/package.json') as { version: string }).version}`;

export interface HolidayRow {
	country_code: string;
	holiday_date: string;
	name: string;
	holiday_type: string;
	is_substitute: boolean;
}

/**
 * Holidays of one country and year from date-holidays. Its rules already move a Sunday holiday to Monday for ZA
 * ('substitutes 08-09 if sunday then next monday'); those rows are kept as their own public holiday and marked.
 */
export function holidaysFor(country: string, year: number): HolidayRow[] {
	const hd = new Holidays();
	if (!hd.getCountries()[country]) throw new Error(`countries: ${country} is not a country the holiday library (${LIBRARY}) knows`);
	hd.init(country);
	const seen = new Set<string>();
	const rows: HolidayRow[] = [];
	for (const h of hd.getHolidays(year)) {
		const date = h.date.slice(0, 10);
		const key = `${date}|${h.name}`;
		if (seen.has(key)) continue;
		seen.add(key);
		const rule = (h as { rule?: string }).rule ?? '';
		rows.push({ country_code: country, holiday_date: date, name: h.name, holiday_type: h.type, is_substitute: /\bsubstitutes\b/.test(rule) || Boolean((h as { substitute?: boolean }).substitute) });
	}
	return rows;
}

export interface LoadHolidaysReport {
	countries: string[];
	fromYear: number;
	toYear: number;
	rows: number;
	publicHolidays: number;
	source: string;
}

/** Load Holidays: replaces the rows of the given countries and years, so a library update that drops a date drops it here too. */
export async function loadHolidays(pool: pg.Pool, input: HolidaysLoadInput): Promise<LoadHolidaysReport> {
	const cfg = parseConfig(holidaysLoadSchema, input, 'Load Holidays config');
	const rows: HolidayRow[] = [];
	for (const c of cfg.countries) for (let y = cfg.fromYear; y <= cfg.toYear; y++) rows.push(...holidaysFor(c, y));
	await withTransaction(pool, async (tx) => {
		await tx.query(
			`DELETE FROM marts.dim_holidays WHERE country_code = ANY($1) AND holiday_date BETWEEN make_date($2, 1, 1) AND make_date($3, 12, 31)`,
			[cfg.countries, cfg.fromYear, cfg.toYear],
		);
		await tx.query(
			`INSERT INTO marts.dim_holidays (country_code, holiday_date, name, holiday_type, is_substitute, source)
			 SELECT * , $6 FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::boolean[])
			 ON CONFLICT (country_code, holiday_date, name) DO NOTHING`,
			[rows.map((r) => r.country_code), rows.map((r) => r.holiday_date), rows.map((r) => r.name), rows.map((r) => r.holiday_type), rows.map((r) => r.is_substitute), LIBRARY],
		);
	});
	return {
		countries: cfg.countries,
		fromYear: cfg.fromYear,
		toYear: cfg.toYear,
		rows: rows.length,
		publicHolidays: rows.filter((r) => r.holiday_type === 'public').length,
		source: LIBRARY,
	};
}
