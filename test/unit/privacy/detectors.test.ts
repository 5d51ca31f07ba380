import { detectPii, isCardPan, isIban, isSouthAfricanIdNumber, luhnValid } from '../../../src/privacy/detectors';

/** Appends the Luhn check digit, so fixtures can be built from a readable date + sequence. */
function withLuhn(body: string): string {
	for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
	throw new Error('unreachable');
}

describe('South African ID numbers', () => {
	test('the published example and generated IDs with valid dates validate', () => {
		expect(isSouthAfricanIdNumber('8001015009087')).toBe(true);
		expect(isSouthAfricanIdNumber(withLuhn('920220472008'))).toBe(true);
		// 29 Feb in a YY divisible by 4; permanent resident (C = 1); refugee (C = 2)
		expect(isSouthAfricanIdNumber(withLuhn('040229512318'))).toBe(true);
		expect(isSouthAfricanIdNumber(withLuhn('751231012318'))).toBe(true);
		expect(isSouthAfricanIdNumber(withLuhn('751231012328'))).toBe(true);
	});

	test('wrong check digit, impossible dates, bad citizenship digit and wrong length are rejected', () => {
		expect(isSouthAfricanIdNumber('8001015009088')).toBe(false);
		expect(isSouthAfricanIdNumber(withLuhn('801301500908'))).toBe(false); // month 13
		expect(isSouthAfricanIdNumber(withLuhn('800230500908'))).toBe(false); // 30 Feb
		expect(isSouthAfricanIdNumber(withLuhn('030229500908'))).toBe(false); // 29 Feb, YY not divisible by 4
		expect(isSouthAfricanIdNumber(withLuhn('800431500908'))).toBe(false); // 31 Apr
		expect(isSouthAfricanIdNumber(withLuhn('800100500908'))).toBe(false); // day 0
		expect(isSouthAfricanIdNumber(withLuhn('800101500938'))).toBe(false); // citizenship 3
		expect(isSouthAfricanIdNumber('800101500908')).toBe(false);
		expect(isSouthAfricanIdNumber('80010150090870')).toBe(false);
	});

	test('found inside text, with or without grouping spaces, and reported once (not also as a PAN)', () => {
		expect(detectPii('ID: 8001015009087 verified')).toEqual(['sa_id_number']);
		expect(detectPii('ID 800101 5009 087')).toEqual(['sa_id_number']);
		expect(detectPii('8001015009088')).toEqual([]);
	});
});

describe('card PANs', () => {
	test('Luhn-valid 13–19 digit numbers with a financial issuer prefix', () => {
		for (const pan of ['4111111111111111', '5555555555554444', '378282246310005', '6011111111111117', '4222222222222']) {
			expect(isCardPan(pan)).toBe(true);
			expect(detectPii(`card ${pan} ok`)).toContain('card_pan');
		}
		expect(detectPii('4111 1111 1111 1111')).toEqual(['card_pan']);
		expect(detectPii('4111-1111-1111-1111')).toEqual(['card_pan']);
	});

	test('a wrong check digit, a non-scheme prefix, a length the scheme does not issue or a too-long run is not a PAN', () => {
		expect(isCardPan('4111111111111112')).toBe(false);
		expect(isCardPan(withLuhn('911111111111111'))).toBe(false);
		expect(isCardPan(withLuhn('41111111111111'))).toBe(false); // Visa with 15 digits
		expect(isCardPan(withLuhn('555555555555444455'))).toBe(false); // Mastercard with 19 digits
		expect(isCardPan(withLuhn('20000000000000000'))).toBe(false); // 2000… is no scheme
		expect(detectPii('4111111111111112')).toEqual([]);
		expect(detectPii('41111111111111111111111')).toEqual([]);
	});
});

describe('IBANs', () => {
	test('mod-97-valid IBANs, compact or grouped, are found', () => {
		for (const iban of ['GB82WEST12345698765432', 'DE89370400440532013000', 'NL91ABNA0417164300', 'FR1420041010050500013M02606']) {
			expect(isIban(iban)).toBe(true);
			expect(detectPii(`pay to ${iban}.`)).toEqual(['iban']);
		}
		expect(detectPii('GB82 WEST 1234 5698 7654 32 AND MORE')).toEqual(['iban']);
	});

	test('a changed digit, a wrong length for the country or lower-case hex is not an IBAN', () => {
		expect(isIban('GB82WEST12345698765433')).toBe(false);
		expect(isIban('GB82WEST1234569876543')).toBe(false);
		expect(detectPii('GB82WEST12345698765433')).toEqual([]);
		expect(detectPii('ab12cdef34567890')).toEqual([]);
	});
});

describe('emails, phones, IPs, GPS', () => {
	test.each([
		['thabo.mokoena@example.co.za', 'email'],
		['mail me: a+b@x.io', 'email'],
		['+27 82 123 4567', 'phone_za'],
		['+27821234567', 'phone_za'],
		['0027 82 123 4567', 'phone_za'],
		['082 123 4567', 'phone_za'],
		['011-555-1234', 'phone_za'],
		['27821234567', 'phone_za'],
		['+44 20 7946 0958', 'phone_international'],
		['+1 415 555 2671', 'phone_international'],
		['from 196.25.1.200', 'ipv4'],
		['2001:db8::ff00:42:8329', 'ipv6'],
		['fe80::1', 'ipv6'],
		['-26.20412', 'gps_precise'],
		['28.047', 'gps_precise'],
		['(-33.92487, 18.42406)', 'gps_precise'],
		['POINT(28.04736 -26.20412)', 'gps_precise'],
		// Disguised e-mails and phones (the outside privacy check plants these): case, spaces, [at]/(dot), words.
		['THABO.MOKOENA@EXAMPLE.CO.ZA', 'email'],
		['thabo . mokoena @ example . co . za', 'email'],
		['thabo.mokoena [at] example [dot] co [dot] za', 'email'],
		['mail THABO(AT)EXAMPLE(DOT)COM pls', 'email'],
		['thabo.mokoena[at]example.co.za', 'email'],
		['user at example dot com', 'email'],
		['(082) 765 4321', 'phone_za'],
		['call 082.765.4321 after 5', 'phone_za'],
		['082-765-4321', 'phone_za'],
	])('%s → %s', (value, detector) => {
		expect(detectPii(value)).toEqual([detector]);
	});

	test.each([
		'a3f1c2d4e5b6978812345678901234567890abcdef1234567890abcdef123456', // a user_hash with long digit runs
		'41111111-1111-1111-a2b4-0f3c5a6b7d8e', // a UUID whose first three groups read as a Luhn-valid PAN
		'a2b40f3c-4111-1111-1111-111111111111',
		'9f86d081884c7d65',
		'2026-05-28 10:00:00+00',
		'2026-05-28T10:00:00.123456+02:00',
		'10:00:00',
		'-26.20',
		'28.05',
		'1234.567',
		'R 1 234.50',
		'25-34',
		'Johannesburg',
		'aa:bb:cc:dd:ee:ff',
		'999.1.1.1',
		'v1.2.3',
		'12345',
		'meet @ home . Then',
		'price @ 5.99 each',
		'arrived at home. co-workers left',
		'look at this dot',
		'(0827) 65 43',
		'',
	])('no finding in %p', (value) => {
		expect(detectPii(value)).toEqual([]);
	});

	test('a value can carry several kinds at once', () => {
		expect(detectPii('Thabo, thabo@example.co.za, +27 82 123 4567, ID 8001015009087, at -26.20412,28.04736 from 10.1.2.3').sort()).toEqual(
			['email', 'gps_precise', 'ipv4', 'phone_za', 'sa_id_number'].sort(),
		);
	});
});
