/**
 * Column-name rules of the PII gate (design doc §8.3: "regex test on each column name"). A name is split into
 * its underscore tokens; a rule fires when its token sequence appears in the name. Derived columns say what
 * was done to the value in their last token (user_hash, sa_id_token, age_band, lat_grid, device_class, ...), and
 * those names pass: the content check still looks at what they hold.
 */
export const columnNameRules = [
	'email',
	'phone',
	'national_id',
	'passport',
	'person_name',
	'address',
	'postcode',
	'date_of_birth',
	'ip_address',
	'gps',
	'financial_account',
	'device_id',
	'free_text',
	'biometric',
	'secret',
] as const;
export type ColumnNameRule = (typeof columnNameRules)[number];

const RULES: Record<ColumnNameRule, string[][]> = {
	email: [['email'], ['e', 'mail'], ['emailaddress']],
	phone: [['phone'], ['msisdn'], ['mobile'], ['cellphone'], ['telephone'], ['tel'], ['phone', 'number']],
	national_id: [['id', 'number'], ['idnumber'], ['sa', 'id'], ['said'], ['national', 'id'], ['nin'], ['ssn'], ['tax', 'number'], ['identity', 'number']],
	passport: [['passport']],
	person_name: [
		['first', 'name'],
		['firstname'],
		['last', 'name'],
		['lastname'],
		['surname'],
		['full', 'name'],
		['fullname'],
		['given', 'name'],
		['middle', 'name'],
		['maiden', 'name'],
		['display', 'name'],
		['username'],
		['user', 'name'],
		['name', 'on', 'card'],
	],
	address: [['address'], ['street'], ['addr'], ['address', 'line']],
	postcode: [['postcode'], ['postal', 'code'], ['zip'], ['zipcode']],
	date_of_birth: [['dob'], ['date', 'of', 'birth'], ['birth', 'date'], ['birthdate'], ['birthday']],
	ip_address: [['ip'], ['ipaddress'], ['ip', 'address'], ['ipv4'], ['ipv6'], ['remote', 'addr'], ['client', 'ip']],
	gps: [['lat'], ['lng'], ['lon'], ['latitude'], ['longitude'], ['gps'], ['geom'], ['coordinates'], ['location', 'point']],
	financial_account: [['iban'], ['account', 'number'], ['card', 'number'], ['pan'], ['card', 'pan'], ['bank', 'account'], ['cvv']],
	device_id: [['device', 'id'], ['idfa'], ['gaid'], ['imei'], ['push', 'token'], ['fcm', 'token'], ['apns', 'token'], ['advertising', 'id']],
	free_text: [['body'], ['message', 'body'], ['content'], ['subject'], ['text'], ['note'], ['notes'], ['comment'], ['comments']],
	biometric: [['face', 'embedding'], ['fingerprint'], ['voiceprint'], ['biometric'], ['selfie']],
	secret: [['password'], ['pin'], ['pin', 'hash'], ['password', 'hash'], ['otp'], ['secret']],
};

/** Last tokens that mark a column as the output of a strategy (hash, tokenise, generalise) or an aggregate. */
const DERIVED_SUFFIXES = new Set([
	'hash',
	'hmac',
	'token',
	'band',
	'grid',
	'class',
	'hour',
	'day',
	'week',
	'month',
	'area',
	'city',
	'country',
	'region',
	'province',
	'count',
	'present',
	'length',
	'domain',
	'bucket',
	'kind',
	'type',
	'verified',
	'at',
]);

function containsSequence(tokens: string[], seq: string[]): boolean {
	for (let i = 0; i + seq.length <= tokens.length; i++) {
		if (seq.every((t, j) => tokens[i + j] === t)) return true;
	}
	return false;
}

/** The rules a column name breaks; empty when the name is harmless or names a derived value. */
export function columnNameFindings(column: string): ColumnNameRule[] {
	const tokens = column
		.toLowerCase()
		.split(/[^a-z0-9]+/)
		.filter(Boolean);
	const last = tokens[tokens.length - 1]?.replace(/\d+$/, '');
	if (tokens.length > 1 && last && DERIVED_SUFFIXES.has(last)) return [];
	return columnNameRules.filter((rule) => RULES[rule].some((seq) => containsSequence(tokens, seq)));
}
