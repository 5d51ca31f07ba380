import { readFileSync } from 'node:fs';
import { brotliDecompressSync } from 'node:zlib';
import { z } from 'zod';
import { packageAsset } from '../config/packageAsset';

/**
 * The packaged name lists behind the person_name detector (reference-data/person-names.json.br, written by
 * `npm run person-names` from scripts/person-names/fromLibraries.ts). The libraries are devDependencies; the runtime
 * install reads this one compressed file (~90 kB).
 */
export const packagedPersonNamesSchema = z.object({
	sources: z.object({ names: z.string(), saNames: z.string(), places: z.string() }),
	/** Given names and surnames, normalised (normaliseNameToken), sorted. */
	names: z.array(z.string()),
	/** Multi-word South African place names, lower case: made of name tokens, but places. */
	places: z.array(z.string()),
});
export type PackagedPersonNames = z.infer<typeof packagedPersonNamesSchema>;

export const PERSON_NAMES_FILE = 'person-names.json.br';

/** Lower case without diacritics, so "Zoë", "ZOE" and "zoe" are one token. */
export function normaliseNameToken(token: string): string {
	return token
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.toLowerCase()
		.replace(/[’`]/g, "'");
}

let cached: { names: Set<string>; places: Set<string> } | null = null;

export function packagedPersonNames(): PackagedPersonNames {
	return packagedPersonNamesSchema.parse(JSON.parse(brotliDecompressSync(readFileSync(packageAsset('reference-data', PERSON_NAMES_FILE))).toString('utf8')));
}

/** The lists as sets, read once per process. */
export function personNameSets(): { names: Set<string>; places: Set<string> } {
	if (!cached) {
		const data = packagedPersonNames();
		cached = { names: new Set(data.names), places: new Set(data.places) };
	}
	return cached;
}
