import { signIncidentBody, verifyIncidentSignature } from '../../../src/webhook/signature';

const secret = 'test-only-webhook-secret';
const body = '{"incident_id":"INC-42","severity":"P2","impacted":{"sources":["ledger_db.transactions"]}}';
const now = 1_795_000_000;

test('a body signed with the shared secret and a fresh timestamp verifies', () => {
	const signature = signIncidentBody(secret, body, now - 10);
	expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
	expect(verifyIncidentSignature({ secret, rawBody: Buffer.from(body), signature, timestamp: String(now - 10), nowS: now })).toEqual({
		ok: true,
		timestamp: now - 10,
		mac: signature,
	});
});

test('known vector: HMAC-SHA256(secret, "<ts>.<body>") so Wolverine can implement it independently', () => {
	// printf '%s' '1795000000.{}' | openssl dgst -sha256 -hmac 'test-only-webhook-secret'
	expect(signIncidentBody(secret, '{}', now)).toBe('sha256=' + require('node:crypto').createHmac('sha256', secret).update(`${now}.{}`).digest('hex'));
});

test.each([
	['a changed body', { rawBody: body.replace('P2', 'P1') }, 'bad_signature'],
	['a different secret', { secret: 'other' }, 'bad_signature'],
	['a replayed request with a new timestamp', { timestamp: String(now) }, 'bad_signature'],
	['a truncated signature', { signature: 'sha256=abc' }, 'bad_signature'],
	['no signature', { signature: undefined }, 'missing_signature'],
	['no timestamp', { timestamp: undefined }, 'missing_timestamp'],
	['a non-numeric timestamp', { timestamp: 'yesterday' }, 'bad_timestamp'],
	['a stale timestamp', { nowS: now + 301 }, 'stale'],
	['a timestamp from the future', { nowS: now - 302 }, 'stale'],
	['no configured secret', { secret: '' }, 'no_secret'],
])('refuses %s', (_name, change, reason) => {
	const base = { secret, rawBody: body, signature: signIncidentBody(secret, body, now - 1), timestamp: String(now - 1), nowS: now };
	const r = verifyIncidentSignature({ ...base, ...change });
	expect(r).toMatchObject({ ok: false, reason });
});
