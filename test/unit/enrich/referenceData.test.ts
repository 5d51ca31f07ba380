import { normaliseToZar } from '../../../src/enrich/fxIngest';
import { formatPlaceLine, parseAdminLine, parsePlaceLine } from '../../../src/enrich/geonamesFormat';
import { holidaysFor } from '../../../src/enrich/holidays';

describe('ZA holidays (packaged from date-holidays)', () => {
	const publicDays = (year: number) => holidaysFor('ZA', year).filter((h) => h.holiday_type === 'public');

	test('2026: Good Friday on 3 April, and Women’s Day (a Sunday) observed on Monday 10 August', () => {
		const days = publicDays(2026);
		expect(days.find((h) => h.name === 'Good Friday')?.holiday_date).toBe('2026-04-03');
		expect(days.filter((h) => h.holiday_date.startsWith('2026-08')).map((h) => [h.holiday_date, h.is_substitute])).toEqual([
			['2026-08-09', false],
			['2026-08-10', true],
		]);
		expect(days).toHaveLength(13);
	});

	test('2021: Human Rights Day and Day of Goodwill fall on Sundays and move to Monday', () => {
		expect(
			publicDays(2021)
				.filter((h) => h.is_substitute)
				.map((h) => h.holiday_date),
		).toEqual(['2021-03-22', '2021-12-27']);
	});

	test('an unknown country is refused by name', () => {
		expect(() => holidaysFor('XX', 2026)).toThrow(/countries: XX is not a country the holiday library \(date-holidays@[\d.]+\) knows/);
	});

	test('a year outside the packaged range is refused with the command that extends it', () => {
		expect(() => holidaysFor('ZA', 2200)).toThrow(
			/fromYear\/toYear: 2200 is outside the packaged holiday years 1990-2060; regenerate reference-data\/ with npm run reference-data/,
		);
	});
});

describe('FX answers normalised to units per ZAR', () => {
	test('classic timeseries with base ZAR is taken as is', () => {
		expect(normaliseToZar({ base: 'ZAR', rates: { '2026-01-02': { USD: 0.054, BTC: 5.4e-7 } } }, ['USD', 'BTC', 'GBP'], 'src')).toEqual([
			{ currency: 'USD', rate_date: '2026-01-02', units_per_zar: 0.054 },
			{ currency: 'BTC', rate_date: '2026-01-02', units_per_zar: 5.4e-7 },
		]);
	});

	test('a server that answers in USD (apilayer quotes) is converted through its ZAR quote', () => {
		const rows = normaliseToZar({ source: 'USD', quotes: { '2026-01-02': { USDZAR: 20, USDEUR: 0.9, USDUSD: 1 } } }, ['USD', 'EUR'], 'src');
		expect(rows.map((r) => [r.currency, r.units_per_zar])).toEqual([
			['USD', 0.05],
			['EUR', 0.045],
		]);
	});

	test('a malformed answer names the path', () => {
		expect(() => normaliseToZar({ base: 'ZAR', rates: { '2026-01-02': { USD: -1 } } }, ['USD'], 'FX source x')).toThrow(
			/FX source x answered an unexpected body: .*rates\.2026-01-02\.USD/,
		);
	});
});

describe('GeoNames format', () => {
	const line =
		'993800\tJohannesburg\tJohannesburg\tJoburg,Jozi\t-26.20227\t28.04363\tP\tPPLA\tZA\t\t06\tJHB\t\t\t2026469\t\t1767\tAfrica/Johannesburg\t2023-01-01';

	test('a cities1000.txt line', () => {
		expect(parsePlaceLine(line, 'cities1000.txt', 1)).toEqual({
			geonameId: 993800,
			name: 'Johannesburg',
			countryCode: 'ZA',
			admin1Code: '06',
			admin2Code: 'JHB',
			featureClass: 'P',
			featureCode: 'PPLA',
			population: 2026469,
			timezone: 'Africa/Johannesburg',
			lat: -26.20227,
			lng: 28.04363,
		});
	});

	test('format then parse is the identity for the fields the loader keeps', () => {
		const p = parsePlaceLine(line, 'f', 1);
		expect(parsePlaceLine(formatPlaceLine(p), 'f', 1)).toEqual(p);
	});

	test('bad lines are refused with file, line number and the expected format', () => {
		expect(() => parsePlaceLine('1\tx\tx', 'cities.txt', 7)).toThrow(
			/^cities\.txt line 7: 3 columns — expected the GeoNames cities format \(19 tab-separated columns/,
		);
		expect(() => parsePlaceLine(line.replace('-26.20227', '-126.2'), 'cities.txt', 2)).toThrow(
			'cities.txt line 2: latitude "-126.2" is not between -90 and 90',
		);
		expect(parseAdminLine('ZA.06\tGauteng\tGauteng\t1085594', 'admin1', 1)).toEqual({ code: 'ZA.06', name: 'Gauteng' });
		expect(() => parseAdminLine('Gauteng', 'admin1CodesASCII.txt', 3)).toThrow(/^admin1CodesASCII\.txt line 3: expected the GeoNames admin code format/);
	});
});
