import { IncidentGateError, parseIncidentGate } from '../../../src/webhook/gate.schema';

describe('incident webhook settings', () => {
	test('a Duplicate Window of at least twice Max Request Age is accepted', () => {
		expect(parseIncidentGate({ dedupWindowSeconds: 900, toleranceSeconds: 300 })).toEqual({ dedupWindowSeconds: 900, toleranceSeconds: 300 });
		expect(parseIncidentGate({ dedupWindowSeconds: 2, toleranceSeconds: 1 })).toEqual({ dedupWindowSeconds: 2, toleranceSeconds: 1 });
	});

	test.each([
		[{ dedupWindowSeconds: 0, toleranceSeconds: 300 }, 'Duplicate Window (Seconds) is 0 but must be at least twice Max Request Age (Seconds) = 600'],
		[{ dedupWindowSeconds: 299, toleranceSeconds: 300 }, 'Duplicate Window (Seconds) is 299 but must be at least twice'],
		[{ dedupWindowSeconds: 599, toleranceSeconds: 300 }, 'Set Duplicate Window to 600 or more, or lower Max Request Age.'],
		[{ dedupWindowSeconds: 900, toleranceSeconds: 0 }, 'Max Request Age (Seconds) must be at least 1'],
		[{ dedupWindowSeconds: 90_000, toleranceSeconds: 3601 }, 'Max Request Age (Seconds) must be at most 3600'],
		[{ dedupWindowSeconds: 900.5, toleranceSeconds: 300 }, 'Duplicate Window (Seconds) must be whole seconds'],
		[{ dedupWindowSeconds: '900', toleranceSeconds: 300 }, 'Duplicate Window (Seconds) must be a number'],
	])('%j is refused: %s', (input, message) => {
		expect(() => parseIncidentGate(input)).toThrow(IncidentGateError);
		expect(() => parseIncidentGate(input)).toThrow(message);
	});
});
