import { openVerificationToken, sealVerificationToken } from '../../../src/anonymise/verificationToken';

const KEY = 'test-only-hmac-key-0123456789abcdef0123456789abcdef';

test('a sealed user id opens with the same key only, and never shows in the token', () => {
	const a = sealVerificationToken(KEY, '4711');
	const b = sealVerificationToken(KEY, '4711');
	expect(a).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
	expect(a).not.toBe(b); // a fresh nonce each time: equal ids do not give equal tokens
	expect(a).not.toContain('4711');
	expect(openVerificationToken(KEY, a)).toBe('4711');
	expect(openVerificationToken(KEY, b)).toBe('4711');
	expect(() => openVerificationToken(`${KEY}x`, a)).toThrow('verificationToken cannot be opened with this credential');
});

test('a tampered or foreign token is refused', () => {
	const t = sealVerificationToken(KEY, '7');
	const flipped = `${t.slice(0, -2)}${t.endsWith('A') ? 'B' : 'A'}${t.slice(-1)}`;
	expect(() => openVerificationToken(KEY, flipped)).toThrow('cannot be opened');
	expect(() => openVerificationToken(KEY, '7')).toThrow('verificationToken is not a token output by Forget Users (expected v1.<data>)');
	expect(() => openVerificationToken(KEY, '')).toThrow('is not a token output by Forget Users');
});
