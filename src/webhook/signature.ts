import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-wolverine-signature';
export const TIMESTAMP_HEADER = 'x-wolverine-timestamp';

/**
 * HMAC-SHA256 over `<unix seconds>.<raw body>`, sent as `sha256=<hex>`. The timestamp is inside the MAC so a
 * captured request cannot be replayed later with a fresh timestamp, and the raw body (not re-serialised JSON) is
 * signed so key order or whitespace never breaks verification.
 */
export function signIncidentBody(secret: string, rawBody: Buffer | string, timestamp: number): string {
	return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

export type SignatureCheck =
	| { ok: true; timestamp: number; /** the verified `sha256=<hex>`: names this one signed request (replay guard) */ mac: string }
	| { ok: false; reason: 'missing_signature' | 'missing_timestamp' | 'bad_timestamp' | 'stale' | 'bad_signature' | 'no_secret'; message: string };

export function verifyIncidentSignature(input: {
	secret: string;
	rawBody: Buffer | string;
	signature: string | undefined;
	timestamp: string | undefined;
	/** Accept timestamps this far from now, either way (clock skew + delivery delay). */
	toleranceS?: number;
	nowS?: number;
}): SignatureCheck {
	if (!input.secret) return { ok: false, reason: 'no_secret', message: 'the webhook secret is not configured in the dbt credential' };
	if (!input.signature) return { ok: false, reason: 'missing_signature', message: `missing ${SIGNATURE_HEADER} header` };
	if (!input.timestamp) return { ok: false, reason: 'missing_timestamp', message: `missing ${TIMESTAMP_HEADER} header` };
	if (!/^\d{9,11}$/.test(input.timestamp.trim())) {
		return { ok: false, reason: 'bad_timestamp', message: `${TIMESTAMP_HEADER} must be unix seconds` };
	}
	const ts = Number(input.timestamp.trim());
	const now = input.nowS ?? Math.floor(Date.now() / 1000);
	const tolerance = input.toleranceS ?? 300;
	if (Math.abs(now - ts) > tolerance) {
		return { ok: false, reason: 'stale', message: `request timestamp is ${now - ts}s from now (allowed ±${tolerance}s)` };
	}
	const expected = Buffer.from(signIncidentBody(input.secret, input.rawBody, ts));
	const given = Buffer.from(input.signature.trim());
	// timingSafeEqual needs equal lengths; a length mismatch reveals only the (public) format.
	const ok = given.length === expected.length && timingSafeEqual(given, expected);
	return ok
		? { ok: true, timestamp: ts, mac: expected.toString() }
		: { ok: false, reason: 'bad_signature', message: 'signature does not match the request body' };
}
