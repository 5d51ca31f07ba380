import { fakerEN_ZA } from '@faker-js/faker';
import { isValidLuhn, luhnCheckDigit, parseSaIdNumber, saIdNumber } from '../../../scripts/demo/synthetic/saId';
import { mobileNumber, person } from '../../../scripts/demo/synthetic/people';

test('Luhn check digit matches the published example ID 8001015009087', () => {
	expect(luhnCheckDigit('800101500908')).toBe(7);
	expect(isValidLuhn('8001015009087')).toBe(true);
	expect(isValidLuhn('8001015009086')).toBe(false);
});

test('generated ID numbers encode date of birth, gender and citizenship, and pass Luhn', () => {
	const female = saIdNumber(new Date(Date.UTC(1994, 6, 18)), 'female', 1234);
	const male = saIdNumber(new Date(Date.UTC(2003, 11, 2)), 'male', 42, false);
	expect(female).toMatch(/^940718123408\d$/);
	expect(male).toMatch(/^031202504218\d$/);
	expect(parseSaIdNumber(female, new Date('2026-11-25'))).toEqual({ dateOfBirth: '1994-07-18', gender: 'female', citizen: true });
	expect(parseSaIdNumber(male, new Date('2026-11-25'))).toEqual({ dateOfBirth: '2003-12-02', gender: 'male', citizen: false });
});

test('invalid dates and wrong check digits are not SA ID numbers', () => {
	const bad = '9402300000080'; // 30 February
	expect(parseSaIdNumber(`${bad.slice(0, 12)}${luhnCheckDigit(bad.slice(0, 12))}`)).toBeNull();
	expect(parseSaIdNumber('8001015009086')).toBeNull();
	expect(parseSaIdNumber('80010150090')).toBeNull();
});

test('synthetic people: valid ID agreeing with their birth date and gender, +27 mobile, unique e-mail', () => {
	fakerEN_ZA.seed(7);
	const people = Array.from({ length: 200 }, (_, i) => person(fakerEN_ZA, i + 1));
	for (const p of people) {
		expect(parseSaIdNumber(p.saIdNumber)).toEqual({ dateOfBirth: p.dateOfBirth, gender: p.gender, citizen: true });
		expect(p.phone).toMatch(/^\+27[678]\d{8}$/);
	}
	expect(new Set(people.map((p) => p.email)).size).toBe(200);
	expect(mobileNumber(fakerEN_ZA)).toMatch(/^\+27\d{9}$/);
});
