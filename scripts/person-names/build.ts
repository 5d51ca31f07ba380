/**
 * npm run person-names
 *
 * Regenerates reference-data/person-names.json.br (the person_name detector's lists) from the libraries that own the
 * data (see fromLibraries.ts). Run it after bumping one of them — a unit test compares the file with the installed
 * libraries and fails until you do — then commit the file.
 */
import { writeFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { packageAsset } from '../../src/config/packageAsset';
import { PERSON_NAMES_FILE } from '../../src/privacy/personNamesData';
import { libraryPersonNames } from './fromLibraries';

const data = libraryPersonNames();
const bytes = Buffer.from(JSON.stringify(data), 'utf8');
const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length };
writeFileSync(packageAsset('reference-data', PERSON_NAMES_FILE), brotliCompressSync(bytes, { params }));
console.log(`wrote reference-data/${PERSON_NAMES_FILE}: ${data.names.length} name tokens, ${data.places.length} place names (${JSON.stringify(data.sources)})`);
