import { assertTimeZone, csvFileName, zoneLabel } from '../../src/extract/csvFileName';

const at = new Date('2026-11-24T08:05:30.123Z');

test('names carry local time, zone and run id', () => {
	expect(csvFileName(at, 'Africa/Johannesburg', 42)).toBe('20261124_1005_SAST_42.csv');
	expect(csvFileName(at, 'Africa/Nairobi', 7)).toBe('20261124_1105_EAT_7.csv');
	expect(csvFileName(at, 'UTC', 1)).toBe('20261124_0805_UTC_1.csv');
});

test('zones without a letter abbreviation get a key-safe offset', () => {
	expect(zoneLabel(at, 'Asia/Kolkata')).toBe('UTCp0530');
	expect(zoneLabel(new Date('2026-07-01T00:00:00Z'), 'America/Sao_Paulo')).toBe('UTCm0300');
});

test('two runs in the same minute never collide', () => {
	expect(csvFileName(at, 'UTC', 1)).not.toBe(csvFileName(at, 'UTC', 2));
});

test('an unknown zone is refused with the field name', () => {
	expect(() => assertTimeZone('Mars/Olympus')).toThrow('Export Timezone "Mars/Olympus" is not an IANA time zone');
});
