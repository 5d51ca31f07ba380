import { addressCity, ageBand, deviceClass, gpsGrid, postcodeArea, timestampHour } from '../../../src/anonymise/generalise';

test('age bands at the as-of date, birthdays and 29 February included', () => {
	expect(ageBand('2008-11-25', '2026-11-25')).toBe('18-24');
	expect(ageBand('2008-11-26', '2026-11-25')).toBe('<18');
	expect(ageBand('2000-02-29', '2025-02-28')).toBe('18-24');
	expect(ageBand('2000-02-29', '2025-03-01')).toBe('25-34');
	expect(ageBand('1961-11-25', '2026-11-25')).toBe('65+');
	expect(ageBand('1961-11-26', '2026-11-25')).toBe('55-64');
	expect(ageBand(null, '2026-11-25')).toBeNull();
	expect(() => ageBand('25/11/1990', '2026-11-25')).toThrow('date of birth is not a date (expected YYYY-MM-DD)');
});

test('gps grid rounds half away from zero on the decimal, like numeric round()', () => {
	expect(gpsGrid('-26.205')).toBe(-26.21);
	expect(gpsGrid('26.205')).toBe(26.21);
	expect(gpsGrid('-26.20499999')).toBe(-26.2);
	expect(gpsGrid('-0.004')).toBe(0);
	expect(Object.is(gpsGrid('-0.004'), 0)).toBe(true);
	expect(gpsGrid(28.055)).toBe(28.06);
	expect(gpsGrid('179.995')).toBe(180);
	expect(gpsGrid(null)).toBeNull();
});

test('postcode keeps at most four digits', () => {
	expect(postcodeArea('2196')).toBe('2196');
	expect(postcodeArea('SW1A 1AA')).toBe('11');
	expect(postcodeArea('12345678')).toBe('1234');
	expect(postcodeArea('ABC')).toBeNull();
});

test('device classes from user agents', () => {
	const o = { android_recent_from: 12, ios_recent_from: 16 };
	expect(deviceClass('Mozilla/5.0 (Linux; Android 14; SM-S918B)', o)).toBe('Android-recent');
	expect(deviceClass('Dalvik/2.1.0 (Linux; U; Android 9; SM-J730F)', o)).toBe('Android-old');
	expect(deviceClass('Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X)', o)).toBe('iOS-recent');
	expect(deviceClass('Mozilla/5.0 (iPad; CPU OS 14_8 like Mac OS X)', o)).toBe('iOS-old');
	expect(deviceClass('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/125.0', o)).toBe('Web');
	expect(deviceClass('curl/8.0', o)).toBe('Other');
	expect(deviceClass('  ', o)).toBeNull();
});

test('timestamps truncate to the hour in UTC, keeping the with/without time zone distinction', () => {
	expect(timestampHour('2026-11-20T23:59:59.999999+02:00')).toBe('2026-11-20 21:00:00+00');
	expect(timestampHour('2026-11-20 23:15:00+00')).toBe('2026-11-20 23:00:00+00');
	expect(timestampHour('2026-06-15 10:30:00+05:30')).toBe('2026-06-15 05:00:00+00');
	expect(timestampHour('2026-11-20 23:15:00')).toBe('2026-11-20 23:00:00');
	expect(timestampHour(new Date('2026-01-01T00:30:00Z'))).toBe('2026-01-01 00:00:00+00');
	expect(() => timestampHour('yesterday')).toThrow('timestamp_hour: value is not a timestamp');
});

test('addresses keep only city and country', () => {
	const o = { countries: ['South Africa', 'Namibia'], default_country: null };
	expect(addressCity('12 Main Rd, Sandton, Johannesburg, 2196, South Africa', o)).toEqual({ city: 'Johannesburg', country: 'South Africa' });
	expect(addressCity('Flat 4, 5 Long St, Cape Town', { ...o, default_country: 'South Africa' })).toEqual({ city: 'Cape Town', country: 'South Africa' });
	expect(addressCity('Windhoek, NAMIBIA', o)).toEqual({ city: 'Windhoek', country: 'NAMIBIA' });
	expect(addressCity('12 Main Rd', o)).toEqual({ city: null, country: null });
});
