import { isIPv4, isIPv6 } from 'node:net';
import { hasBankAccount } from './bankAccount';
import { hasPersonName } from './personName';
import { hasStreetAddress } from './streetAddress';

/**
 * Content detectors for the PII gate (design doc §6.1, §8.3). They run over text, so every rule anchors its
 * candidates on non-alphanumeric boundaries: a 64-hex user_hash routinely contains 13+ digit runs, and without
 * the boundary ~1% of hashes would look like Luhn-valid card numbers and fail the gate for nothing.
 * Pure functions, no I/O: the same code checks warehouse samples, n8n items and push-back payloads.
 */
export const detectorNames = [
	'email',
	'phone_za',
	'phone_international',
	'sa_id_number',
	'card_pan',
	'iban',
	'ipv4',
	'ipv6',
	'gps_precise',
	'person_name',
	'street_address',
	'bank_account',
] as const;
export type DetectorName = (typeof detectorNames)[number];

/** Luhn (mod 10) check used by SA ID numbers and card PANs. */
export function luhnValid(digits: string): boolean {
	if (!/^\d+$/.test(digits)) return false;
	let sum = 0;
	let double = false;
	for (let i = digits.length - 1; i >= 0; i--) {
		let d = digits.charCodeAt(i) - 48;
		if (double) {
			d *= 2;
			if (d > 9) d -= 9;
		}
		sum += d;
		double = !double;
	}
	return sum % 10 === 0;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * South African ID number: YYMMDD SSSS C A Z. The century is not encoded, so 29 February is accepted for any
 * YY divisible by 4 (00 may be 1900 or 2000). C is 0 (citizen), 1 (permanent resident) or 2 (refugee).
 */
export function isSouthAfricanIdNumber(id: string): boolean {
	if (!/^\d{13}$/.test(id)) return false;
	const yy = Number(id.slice(0, 2));
	const mm = Number(id.slice(2, 4));
	const dd = Number(id.slice(4, 6));
	if (mm < 1 || mm > 12 || dd < 1) return false;
	const maxDay = mm === 2 ? (yy % 4 === 0 ? 29 : 28) : DAYS_IN_MONTH[mm - 1];
	if (dd > maxDay) return false;
	if (!'012'.includes(id[10])) return false;
	return luhnValid(id);
}

/**
 * Issuer prefixes and lengths of the card schemes seen in South Africa. Checking brand + length (not just "starts
 * with 2–6") keeps long numeric ids from reading as cards: a random Luhn-valid 19-digit id is a PAN only if it
 * also starts like a scheme that issues 19-digit numbers.
 */
const CARD_SCHEMES: [RegExp, number[]][] = [
	[/^4/, [13, 16, 19]], // Visa
	[/^(5[1-5]|222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720)/, [16]], // Mastercard
	[/^3[47]/, [15]], // American Express
	[/^(6011|65|64[4-9])/, [16, 17, 18, 19]], // Discover
	[/^62/, [16, 17, 18, 19]], // UnionPay
	[/^3(0[0-5]|[689])/, [14, 15, 16, 17, 18, 19]], // Diners Club
	[/^35(2[89]|[3-8]\d)/, [16, 17, 18, 19]], // JCB
	[/^(5018|5020|5038|5893|6304|6759|676[1-3])/, [13, 14, 15, 16, 17, 18, 19]], // Maestro
	[/^220[0-4]/, [16, 17, 18, 19]], // Mir
];

/** Card PAN: a scheme's prefix and length, Luhn valid. */
export function isCardPan(digits: string): boolean {
	if (!/^\d{13,19}$/.test(digits)) return false;
	return CARD_SCHEMES.some(([prefix, lengths]) => prefix.test(digits) && lengths.includes(digits.length)) && luhnValid(digits);
}

/** Registered IBAN lengths (ISO 13616). Unknown country codes fall back to the generic 15–34 range. */
const IBAN_LENGTHS: Record<string, number> = {
	AD: 24,
	AE: 23,
	AL: 28,
	AT: 20,
	AZ: 28,
	BA: 20,
	BE: 16,
	BG: 22,
	BH: 22,
	BR: 29,
	BY: 28,
	CH: 21,
	CR: 22,
	CY: 28,
	CZ: 24,
	DE: 22,
	DK: 18,
	DO: 28,
	EE: 20,
	EG: 29,
	ES: 24,
	FI: 18,
	FO: 18,
	FR: 27,
	GB: 22,
	GE: 22,
	GI: 23,
	GL: 18,
	GR: 27,
	GT: 28,
	HR: 21,
	HU: 28,
	IE: 22,
	IL: 23,
	IQ: 23,
	IS: 26,
	IT: 27,
	JO: 30,
	KW: 30,
	KZ: 20,
	LB: 28,
	LC: 32,
	LI: 21,
	LT: 20,
	LU: 20,
	LV: 21,
	LY: 25,
	MC: 27,
	MD: 24,
	ME: 22,
	MK: 19,
	MR: 27,
	MT: 31,
	MU: 30,
	NL: 18,
	NO: 15,
	PK: 24,
	PL: 28,
	PS: 29,
	PT: 25,
	QA: 29,
	RO: 24,
	RS: 22,
	SA: 24,
	SC: 31,
	SD: 18,
	SE: 24,
	SI: 19,
	SK: 24,
	SM: 27,
	ST: 25,
	SV: 28,
	TL: 23,
	TN: 24,
	TR: 26,
	UA: 29,
	VA: 22,
	VG: 24,
	XK: 20,
};

/** IBAN: country code, check digits, BBAN; the rearranged number mod 97 must be 1. */
export function isIban(candidate: string): boolean {
	const iban = candidate.replace(/ /g, '').toUpperCase();
	if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
	const expected = IBAN_LENGTHS[iban.slice(0, 2)];
	if (expected !== undefined && iban.length !== expected) return false;
	const rearranged = iban.slice(4) + iban.slice(0, 4);
	let rem = 0;
	for (const ch of rearranged) {
		const v = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
		for (const d of v) rem = (rem * 10 + (d.charCodeAt(0) - 48)) % 97;
	}
	return rem === 1;
}

/** The candidate regex is greedy (it may swallow a following word), so try the prefixes an IBAN could be. */
function startsWithIban(candidate: string): boolean {
	const compact = candidate.replace(/ /g, '');
	const known = IBAN_LENGTHS[compact.slice(0, 2)];
	if (known !== undefined) return compact.length >= known && isIban(compact.slice(0, known));
	for (let len = 15; len <= Math.min(34, compact.length); len++) if (isIban(compact.slice(0, len))) return true;
	return false;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
/**
 * An address written to dodge the plain rule: spaces around "@" and ".", "[at]"/"(at)" and "[dot]"/"(dot)", or the
 * words " at " and " dot " ("thabo at example dot co dot za"). Spaced forms end in a two-letter country code or a
 * common generic TLD, so "meet @ home . Then" is not an address.
 */
const OBF_AT = String.raw`(?:\s*@\s*|\s*[[({<]\s*at\s*[\])}>]\s*|\s+at\s+)`;
const OBF_DOT = String.raw`(?:\s*\.\s*|\s*[[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)`;
const OBF_TLD = String.raw`(?:com|net|org|info|biz|edu|gov|mail|email|online|africa|joburg|capetown|durban|[a-z]{2})(?![a-z])`;
const EMAIL_OBFUSCATED = new RegExp(String.raw`[a-z0-9._%+-]+${OBF_AT}[a-z0-9-]+(?:${OBF_DOT}[a-z0-9-]+)*${OBF_DOT}${OBF_TLD}`, 'gi');
/** An address only if something marks it as one ("@", a bracketed "at", or " dot "): "arrived at home. co-workers" is not. */
const hasObfuscatedEmail = (value: string): boolean =>
	anyMatch(EMAIL_OBFUSCATED, value, (m) => m.includes('@') || /[[({<]\s*at\s*[\])}>]/i.test(m) || /\sdot\s/i.test(m));
/** +27 / 0027 / 27 (MSISDN) or a national 0XX number: 9 significant digits, optional space/dash grouping. */
const PHONE_ZA = /(?<![\w+])(?:(?:\+|00)27[\s-]?\(?0?\)?|27(?=[6-8]\d{8}(?!\d))|0)[1-8]\d[\s-]?\d{3}[\s-]?\d{4}(?![\w])/;
/** A national number with its area/network code in brackets or dot-grouped: "(082) 765 4321", "082.765.4321". */
const PHONE_ZA_WRITTEN = /(?<![\w+.])(?:\(0[1-8]\d\)\s?\d{3}[\s.-]?\d{4}|0[1-8]\d\.\d{3}\.\d{4})(?![\w.])/;
/** E.164 with its leading +, 8–15 digits in total, single space/dash/dot separators allowed. */
const PHONE_INTL = /(?<![\w+])\+[1-9](?:[\s.-]?\(?\d\)?){7,14}(?![\w])/;
/**
 * 13–19 digits, optionally grouped by single spaces or dashes. Not part of a longer dash-joined token: a UUID whose
 * first three groups happen to be all digits is 16 digits in dashed groups, and ~1 in 40,000 random UUIDs would
 * otherwise read as a Luhn-valid card number.
 */
const DIGIT_RUN = /(?<![A-Za-z0-9]|[A-Za-z0-9]-)\d(?:[ -]?\d){12,18}(?!-?[A-Za-z0-9])/g;
const IBAN_CANDIDATE = /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,32}(?![A-Za-z0-9])/g;
const IPV4_CANDIDATE = /(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}(?![\d.])/g;
const IPV6_CANDIDATE = /(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?::\d{1,3}(?:\.\d{1,3}){3})?(?![0-9A-Za-z:.])/g;
/** A coordinate pair such as "-26.20412, 28.04736" or "POINT(28.047 -26.204)". */
const GPS_PAIR = /(?<![\d.])(-?\d{1,3}\.\d{3,})\s*[,; ]\s*(-?\d{1,3}\.\d{3,})(?![\d.])/g;
/** A value that is nothing but one decimal degree with more than 2 decimals (a lat or lng column cast to text). */
const GPS_SINGLE = /^\s*-?\d{1,3}\.\d{3,}\s*$/;

function anyMatch(re: RegExp, text: string, accept: (m: string) => boolean): boolean {
	re.lastIndex = 0;
	for (let m = re.exec(text); m; m = re.exec(text)) {
		if (accept(m[0])) return true;
	}
	return false;
}

const inLatRange = (v: number) => Math.abs(v) <= 90;
const inLngRange = (v: number) => Math.abs(v) <= 180;

function hasPreciseGps(text: string): boolean {
	if (GPS_SINGLE.test(text)) return inLngRange(Number(text));
	GPS_PAIR.lastIndex = 0;
	for (let m = GPS_PAIR.exec(text); m; m = GPS_PAIR.exec(text)) {
		const a = Number(m[1]);
		const b = Number(m[2]);
		if ((inLatRange(a) && inLngRange(b)) || (inLngRange(a) && inLatRange(b))) return true;
	}
	return false;
}

export interface DetectContext {
	/** The column or item field the value came from: a bare 9–11 digit value is a bank account only in an account column. */
	column?: string;
}

/**
 * Every detector that fires on `value`. A 13-digit number that is a valid SA ID is reported as sa_id_number
 * only (it is usually Luhn-valid as a PAN too, and one finding per value is what a reviewer wants to read).
 */
export function detectPii(value: string, context: DetectContext = {}): DetectorName[] {
	if (value.length < 6) return [];
	const found: DetectorName[] = [];
	if ((value.includes('@') && EMAIL.test(value)) || hasObfuscatedEmail(value)) found.push('email');
	if (PHONE_ZA.test(value) || PHONE_ZA_WRITTEN.test(value)) found.push('phone_za');
	else if (PHONE_INTL.test(value)) found.push('phone_international');

	let saId = false;
	let pan = false;
	DIGIT_RUN.lastIndex = 0;
	for (let m = DIGIT_RUN.exec(value); m; m = DIGIT_RUN.exec(value)) {
		const digits = m[0].replace(/[ -]/g, '');
		if (isSouthAfricanIdNumber(digits)) saId = true;
		else if (isCardPan(digits)) pan = true;
	}
	if (saId) found.push('sa_id_number');
	if (pan) found.push('card_pan');

	if (anyMatch(IBAN_CANDIDATE, value, startsWithIban)) found.push('iban');
	if (anyMatch(IPV4_CANDIDATE, value, (c) => isIPv4(c))) found.push('ipv4');
	if (value.includes(':') && anyMatch(IPV6_CANDIDATE, value, (c) => /[0-9A-Fa-f]/.test(c) && isIPv6(c))) found.push('ipv6');
	if (value.includes('.') && hasPreciseGps(value)) found.push('gps_precise');
	if (hasBankAccount(value, context.column)) found.push('bank_account');
	if (hasStreetAddress(value)) found.push('street_address');
	if (hasPersonName(value)) found.push('person_name');
	return found;
}
