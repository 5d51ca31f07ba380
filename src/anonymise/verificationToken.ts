import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * How Forget Users hands a forgotten person to Verify Residue in the same workflow without the user id appearing in
 * n8n's execution data: the id is sealed (AES-256-GCM) under a key derived from the credential's HMAC key, so only
 * a node holding the same Anonymisation Secrets credential can open it. Forgetting removes the id from every table,
 * and the audit keeps only the one-way subject HMAC, so this token is the only way a later node can still search
 * for the person's hashes.
 */
const VERSION = 'v1';
const INFO = 'dataacuity residue verification token v1';

function keyOf(hmacKey: string): Buffer {
	return Buffer.from(hkdfSync('sha256', Buffer.from(hmacKey, 'utf8'), Buffer.alloc(0), INFO, 32));
}

export function sealVerificationToken(hmacKey: string, userId: string): string {
	const iv = randomBytes(12);
	const cipher = createCipheriv('aes-256-gcm', keyOf(hmacKey), iv);
	const body = Buffer.concat([cipher.update(userId, 'utf8'), cipher.final()]);
	return `${VERSION}.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
}

export class VerificationTokenError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'VerificationTokenError';
	}
}

export function openVerificationToken(hmacKey: string, token: string): string {
	const [version, data] = String(token ?? '')
		.trim()
		.split('.');
	const raw = data ? Buffer.from(data, 'base64url') : Buffer.alloc(0);
	if (version !== VERSION || raw.length < 29) throw new VerificationTokenError('verificationToken is not a token output by Forget Users (expected v1.<data>)');
	try {
		const decipher = createDecipheriv('aes-256-gcm', keyOf(hmacKey), raw.subarray(0, 12));
		decipher.setAuthTag(raw.subarray(12, 28));
		return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
	} catch {
		throw new VerificationTokenError(
			'verificationToken cannot be opened with this credential: it was sealed by Forget Users under another HMAC key (use the same DataAcuity Anonymisation Secrets credential)',
		);
	}
}
