import { EnrichInputError } from './parseConfig';

/**
 * GeoNames dump formats (https://download.geonames.org/export/dump/readme.txt), tab-separated, UTF-8, no header:
 * cities500/1000/5000/15000.txt and allCountries.txt have 19 columns; admin1CodesASCII.txt and admin2Codes.txt have
 * code, name, asciiname, geonameid.
 */
export const GEONAMES_COLUMNS = [
	'geonameid',
	'name',
	'asciiname',
	'alternatenames',
	'latitude',
	'longitude',
	'feature_class',
	'feature_code',
	'country_code',
	'cc2',
	'admin1_code',
	'admin2_code',
	'admin3_code',
	'admin4_code',
	'population',
	'elevation',
	'dem',
	'timezone',
	'modification_date',
] as const;

export interface Place {
	geonameId: number;
	name: string;
	countryCode: string;
	admin1Code: string;
	admin2Code: string;
	featureClass: string;
	featureCode: string;
	population: number;
	timezone: string;
	lat: number;
	lng: number;
}

export interface AdminDivision {
	code: string;
	name: string;
}

export class GeonamesFormatError extends Error {
	constructor(file: string, line: number, message: string) {
		super(`${file} line ${line}: ${message} — expected the GeoNames cities format (19 tab-separated columns: ${GEONAMES_COLUMNS.join(', ')})`);
		this.name = 'GeonamesFormatError';
	}
}

export function parsePlaceLine(line: string, file: string, lineNo: number): Place {
	const f = line.split('\t');
	if (f.length < 15) throw new GeonamesFormatError(file, lineNo, `${f.length} columns`);
	const geonameId = Number(f[0]);
	const lat = Number(f[4]);
	const lng = Number(f[5]);
	if (!Number.isInteger(geonameId) || f[0] === '') throw new GeonamesFormatError(file, lineNo, `geonameid "${f[0]}" is not an integer`);
	if (f[4] === '' || !(lat >= -90 && lat <= 90)) throw new GeonamesFormatError(file, lineNo, `latitude "${f[4]}" is not between -90 and 90`);
	if (f[5] === '' || !(lng >= -180 && lng <= 180)) throw new GeonamesFormatError(file, lineNo, `longitude "${f[5]}" is not between -180 and 180`);
	if (!/^[A-Z]{2}$/.test(f[8])) throw new GeonamesFormatError(file, lineNo, `country code "${f[8]}" is not two capital letters`);
	const population = f[14] === '' ? 0 : Number(f[14]);
	if (!Number.isFinite(population)) throw new GeonamesFormatError(file, lineNo, `population "${f[14]}" is not a number`);
	return {
		geonameId,
		name: f[1],
		countryCode: f[8],
		admin1Code: f[10] ?? '',
		admin2Code: f[11] ?? '',
		featureClass: f[6] ?? '',
		featureCode: f[7] ?? '',
		population,
		timezone: f[17] ?? '',
		lat,
		lng,
	};
}

/** One line of admin1CodesASCII.txt / admin2Codes.txt: 'ZA.06\tGauteng\tGauteng\t1085594'. */
export function parseAdminLine(line: string, file: string, lineNo: number): AdminDivision {
	const f = line.split('\t');
	if (f.length < 2 || !/^[A-Z]{2}\.[^.]+(\.[^.]+)?$/.test(f[0]) || f[1] === '') {
		throw new EnrichInputError(
			`${file} line ${lineNo}: expected the GeoNames admin code format (code<TAB>name<TAB>asciiname<TAB>geonameid, code like ZA.06 or ZA.06.JHB)`,
		);
	}
	return { code: f[0], name: f[1] };
}

/** Writes a place back as a GeoNames cities line, so other sources load through the same parser. */
export function formatPlaceLine(p: Omit<Place, 'featureClass'> & { featureClass?: string }): string {
	const f: string[] = new Array(GEONAMES_COLUMNS.length).fill('');
	const clean = (s: string) => s.replace(/[\t\r\n]/g, ' ');
	f[0] = String(p.geonameId);
	f[1] = clean(p.name);
	f[2] = clean(p.name);
	f[4] = String(p.lat);
	f[5] = String(p.lng);
	f[6] = p.featureClass ?? 'P';
	f[7] = p.featureCode;
	f[8] = p.countryCode;
	f[10] = clean(p.admin1Code);
	f[11] = clean(p.admin2Code);
	f[14] = String(p.population);
	f[17] = p.timezone;
	return f.join('\t');
}
