import { detectPii } from '../../../src/privacy/detectors';
import { measureDetectors } from '../../../scripts/pii-detectors/measure';
import { LANDMARKS, MERCHANTS, SA_CITIES } from '../../../scripts/demo/synthetic/places';

const fires = (value: string, column?: string) => detectPii(value, { column });

describe('person_name', () => {
	test.each([
		'Thabo Mokoena',
		'MOKOENA, Thabo',
		'thandeka dlamini',
		'Sipho Mkhwanazi',
		'Johan van der Merwe',
		'Mr Govender',
		'Paid to Lerato Ndlovu for the braai',
		'Pieter Botha (Soweto)',
		'Mr T Mokoena',
		'Dr S. Nkosi',
		'paid MRS N. DLAMINI',
	])('%s is a person', (v) => expect(fires(v)).toContain('person_name'));

	test.each([
		'Soweto',
		'Cape Town',
		'Louis Trichardt',
		'Piet Retief',
		'Moses Mabhida Stadium',
		'Nelson Mandela Bay Stadium',
		'Vilakazi Street',
		'Mr Price',
		'Mr D Food',
		'Pick n Pay',
		'Natasha Alley Market',
		'Sunday Braai Fest',
		'Kimberley, Gauteng',
		'savings',
		'Cheque account',
	])('%s is not a person', (v) => expect(fires(v)).not.toContain('person_name'));

	test('nothing the demo publishes as a city, landmark or merchant reads as PII', () => {
		for (const v of [...SA_CITIES.map((c) => c.name), ...LANDMARKS.map((l) => l.name), ...MERCHANTS.map((m) => m.name)]) expect([v, fires(v)]).toEqual([v, []]);
	});
});

describe('street_address', () => {
	test.each([
		'12 Vilakazi Street, Orlando West',
		'Unit 4, 23 Long St',
		'PO Box 123',
		'P.O. Box 4521',
		'Private Bag X9001',
		'Orlando West, 1804',
		'7A Jan Smuts Ave',
		'15 van der Merwe straat',
		'12 vilakazi st',
		'Vilakazi Street, Orlando West',
	])('%s is an address', (v) => expect(fires(v)).toContain('street_address'));

	test.each([
		'Vilakazi Street',
		'Long Street Market',
		'Soweto',
		'Durban',
		'Heritage Day Picnic 2026',
		'12 items in 3 boxes',
		'R 1 250.00',
		'2026-12-05',
		'Cape Town, Western Cape',
	])('%s is not an address', (v) => expect(fires(v)).not.toContain('street_address'));
});

describe('bank_account', () => {
	test('9–11 digits after an account or bank word, or alone in an account column', () => {
		expect(fires('Acc 62123456789')).toContain('bank_account');
		expect(fires('Capitec 1234567890')).toContain('bank_account');
		expect(fires('rekeningnommer 4051234567')).toContain('bank_account');
		expect(fires('account no: 6212 3456 789')).toContain('bank_account');
		expect(fires('4051234567', 'payout_account')).toContain('bank_account');
	});

	test('an id, a timestamp or a phone number is not an account', () => {
		expect(fires('4051234567')).toEqual([]);
		expect(fires('1733390000', 'created_epoch')).toEqual([]);
		expect(fires('100000123', 'account_id')).toEqual([]);
		expect(fires('order 123456789')).toEqual([]);
		expect(fires('FNB 082 765 4321')).toEqual(['phone_za']);
	});

	test("the issue's item-mode example is caught (by the phone rule)", () => {
		expect(fires('Soweto 082 765 4321')).toEqual(['phone_za']);
	});
});

/**
 * Floors for the figures in docs/anonymise.md ("Detector quality"; `npm run detector-quality` prints the table).
 * They sit a little under today's measurement so a change that costs recall or precision fails here.
 */
describe('precision and recall on the labelled corpus', () => {
	const { rows } = measureDetectors();
	const floors = {
		person_name: { precision: 0.97, recall: 0.93 },
		street_address: { precision: 0.97, recall: 0.95 },
		bank_account: { precision: 0.97, recall: 0.95 },
	};
	test.each(rows.map((r) => [r.detector, r] as const))('%s', (_name, r) => {
		expect(r.positives).toBe(400);
		expect(r.precision).toBeGreaterThanOrEqual(floors[r.detector].precision);
		expect(r.recall).toBeGreaterThanOrEqual(floors[r.detector].recall);
	});
});

describe('hashes and ids stay clean', () => {
	test('hex hashes holding "acc" and long digit runs are not accounts, names or addresses', () => {
		expect(fires('3acc0e1234567890bd55f0a3acc9876543210ffe')).toEqual([]);
		expect(fires('acc 1234567890abcdef')).toEqual([]);
		expect(fires('9c1f0e2d3b4a5968778695a4b3c2d1e0f9e8d7c6b5a49382716051413121110f')).toEqual([]);
	});
});
