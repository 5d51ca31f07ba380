import type pg from 'pg';
import { withTransaction } from '../transport/transaction';
import { holidaysLoadSchema, type HolidaysLoadInput } from './config.schema';
import { packagedHolidays, referenceSources } from './packagedReferenceData';
import { EnrichInputError, parseConfig } from './parseConfig';

export interface HolidayRow {
	country_code: string;
	holiday_date: string;
	name: string;
	holiday_type: string;
	is_substitute: boolean;
}

/**
 * Holidays of one country and year, from the packaged date-holidays output (reference-data/). Its rules already move
 * a Sunday holiday to Monday for ZA ('substitutes 08-09 if sunday then next monday'); those rows are kept as their
 * own public holiday and marked.
 */
export function holidaysFor(country: string, year: number): HolidayRow[] {
	const { library, fromYear, toYear } = referenceSources().holidays;
	const days = packagedHolidays()[country];
	if (!days) throw new EnrichInputError(`countries: ${country} is not a country the holiday library (${library}) knows`);
	if (year < fromYear || year > toYear) {
		throw new EnrichInputError(
			`fromYear/toYear: ${year} is outside the packaged holiday years ${fromYear}-${toYear}; regenerate reference-data/ with npm run reference-data -- --from-year N --to-year M in a checkout`,
		);
	}
	const prefix = `${year}-`;
	return days
		.filter(([date]) => date.startsWith(prefix))
		.map(([date, name, type, substitute]) => ({ country_code: country, holiday_date: date, name, holiday_type: type, is_substitute: substitute === 1 }));
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
		await tx.query(`DELETE FROM marts.dim_holidays WHERE country_code = ANY($1) AND holiday_date BETWEEN make_date($2, 1, 1) AND make_date($3, 12, 31)`, [
			cfg.countries,
			cfg.fromYear,
			cfg.toYear,
		]);
		await tx.query(
			`INSERT INTO marts.dim_holidays (country_code, holiday_date, name, holiday_type, is_substitute, source)
			 SELECT * , $6 FROM unnest($1::text[], $2::date[], $3::text[], $4::text[], $5::boolean[])
			 ON CONFLICT (country_code, holiday_date, name) DO NOTHING`,
			[
				rows.map((r) => r.country_code),
				rows.map((r) => r.holiday_date),
				rows.map((r) => r.name),
				rows.map((r) => r.holiday_type),
				rows.map((r) => r.is_substitute),
				referenceSources().holidays.library,
			],
		);
	});
	return {
		countries: cfg.countries,
		fromYear: cfg.fromYear,
		toYear: cfg.toYear,
		rows: rows.length,
		publicHolidays: rows.filter((r) => r.holiday_type === 'public').length,
		source: referenceSources().holidays.library,
	};
}
