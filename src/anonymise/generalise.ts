/**
 * TypeScript twins of the SQL generalisation functions (dwh_control.age_band, postcode_area, device_class, … in
 * dwh-control-sql/migrations/0200_baseline_0001_0190.sql, section "Anonymise"), for item mode. Each returns what
 * node-postgres returns when the set-based output is read back through src/transport/postgres.ts (text timestamps,
 * float8 as number), so item and set mode give identical rows.
 */

export const AGE_BANDS = ['<18', '18-24', '25-34', '35-44', '45-54', '55-64', '65+'] as const;

const DATE_PREFIX = /^(\d{4})-(\d{2})-(\d{2})/;

function ymd(value: unknown, what: string): [number, number, number] {
	if (value instanceof Date) return [value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate()];
	const m = DATE_PREFIX.exec(String(value).trim());
	if (!m) throw new Error(`${what} is not a date (expected YYYY-MM-DD)`); // the value itself is personal data: never echoed
	return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** Full years from date_of_birth to asOf, exactly as date_part('year', age(as_of, dob)) counts them. */
export function ageInYears(dob: unknown, asOf: string): number {
	const [dy, dm, dd] = ymd(dob, 'date of birth');
	const [ay, am, ad] = ymd(asOf, 'as-of date');
	return ay - dy - (am < dm || (am === dm && ad < dd) ? 1 : 0);
}

export function ageBand(dob: unknown, asOf: string): string | null {
	if (dob === null || dob === undefined || dob === '') return null;
	const a = ageInYears(dob, asOf);
	if (a < 18) return '<18';
	if (a < 25) return '18-24';
	if (a < 35) return '25-34';
	if (a < 45) return '35-44';
	if (a < 55) return '45-54';
	if (a < 65) return '55-64';
	return '65+';
}

export function postcodeArea(value: unknown): string | null {
	if (value === null || value === undefined) return null;
	const digits = String(value)
		.replace(/[^0-9]/g, '')
		.slice(0, 4);
	return digits === '' ? null : digits;
}

/**
 * round(value::numeric, 2)::float8. Strings (numeric columns) are rounded as exact decimals, half away from
 * zero like numeric's round(); JS numbers (float8 columns) first go through 15 significant digits, which is
 * how Postgres converts float8 to numeric.
 */
export function gpsGrid(value: unknown): number | null {
	if (value === null || value === undefined || value === '') return null;
	const text = typeof value === 'number' ? value.toPrecision(15) : String(value).trim();
	const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
	if (!m || (m[2] === '' && !m[3])) {
		const n = Number(text);
		if (!Number.isFinite(n)) throw new Error('gps_grid: value is not a number');
		return gpsGrid(n.toFixed(20));
	}
	const frac = (m[3] ?? '').padEnd(3, '0');
	let cents = BigInt(`${m[2] || '0'}${frac.slice(0, 2)}`);
	if (frac[2] >= '5') cents += 1n;
	const n = Number(cents) / 100;
	if (n === 0) return 0;
	return m[1] === '-' ? -n : n;
}

export interface DeviceClassOptions {
	android_recent_from: number;
	ios_recent_from: number;
}

export function deviceClass(value: unknown, o: DeviceClassOptions): string | null {
	if (value === null || value === undefined) return null;
	const raw = String(value);
	if (raw.replace(/^ +| +$/g, '') === '') return null;
	const l = raw.toLowerCase();
	if (/android/.test(l)) {
		const v = /android[ /]?([0-9]+)/.exec(l);
		return (v ? Number(v[1]) : 0) >= o.android_recent_from ? 'Android-recent' : 'Android-old';
	}
	if (/(iphone|ipad|ipod|ios)/.test(l)) {
		const v = /(?:iphone os|cpu os|ios)[ /]?([0-9]+)/.exec(l);
		return (v ? Number(v[1]) : 0) >= o.ios_recent_from ? 'iOS-recent' : 'iOS-old';
	}
	if (/(mozilla|chrome|safari|firefox|edge|opera|web)/.test(l)) return 'Web';
	return 'Other';
}

const TS = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const pad = (n: number) => String(n).padStart(2, '0');

function utcHour(ms: number): string {
	const d = new Date(ms);
	return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:00:00+00`;
}

/**
 * date_trunc('hour', ts) as Postgres prints it with TimeZone=UTC: "YYYY-MM-DD HH:00:00+00" for timestamptz
 * (input with an offset or a Date), "YYYY-MM-DD HH:00:00" for timestamp without time zone (input without one).
 */
export function timestampHour(value: unknown): string | null {
	if (value === null || value === undefined || value === '') return null;
	if (value instanceof Date) return utcHour(value.getTime());
	const text = String(value).trim();
	const m = TS.exec(text);
	if (!m) throw new Error('timestamp_hour: value is not a timestamp');
	if (!m[6]) return `${m[1]} ${m[2]}:00:00`;
	const offset = m[6].toUpperCase() === 'Z' ? 'Z' : m[6].length === 3 ? `${m[6]}:00` : m[6].includes(':') ? m[6] : `${m[6].slice(0, 3)}:${m[6].slice(3)}`;
	const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}${offset}`);
	if (Number.isNaN(ms)) throw new Error('timestamp_hour: value is not a timestamp');
	return utcHour(ms);
}

export interface AddressOptions {
	countries: string[];
	default_country: string | null;
}

const trimWs = (s: string) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');

/**
 * "12 Main Rd, Sandton, Johannesburg, 2196, South Africa" → city Johannesburg, country South Africa: parts with
 * digits (street numbers, postcodes) are dropped, a trailing known country is the country, the last remaining
 * part is the city. A heuristic; structured city/country columns, where a source has them, are better kept.
 */
export function addressCity(value: unknown, o: AddressOptions): { city: string | null; country: string | null } {
	if (value === null || value === undefined) return { city: null, country: null };
	const parts = String(value)
		.split(',')
		.map(trimWs)
		.filter((p) => p !== '' && !/[0-9]/.test(p));
	let n = parts.length;
	let country = o.default_country;
	const known = new Set(o.countries.map((c) => c.toLowerCase()));
	if (n > 0 && known.has(parts[n - 1].toLowerCase())) {
		country = parts[n - 1];
		n -= 1;
	}
	return { city: n > 0 ? parts[n - 1] : null, country };
}
