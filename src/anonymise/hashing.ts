import { createHash, createHmac } from 'node:crypto';
import type { HashSpec } from './policy.schema';

/**
 * The deterministic hash of design doc §6.2, in TypeScript and in SQL side by side: the two must give the same
 * hex for the same input, and the apps compute it too (docs/anonymise.md publishes test vectors).
 *   sha256:      encode(digest(salt || ':' || value::text, 'sha256'), 'hex')
 *   hmac_sha256: encode(hmac(value::text, salt, 'sha256'), 'hex')
 */

export type HashOptions = Pick<HashSpec, 'algorithm' | 'truncate' | 'normalise'>;

const DEFAULTS: HashOptions = { algorithm: 'sha256', truncate: null, normalise: 'none' };

/** The text Postgres' ::text gives for the value types that are hashed (ids, text, uuid, booleans). */
export function hashInputText(value: unknown, column = 'value'): string | null {
	if (value === null || value === undefined) return null;
	if (typeof value === 'string') return value;
	if (typeof value === 'number') {
		if (!Number.isSafeInteger(value)) throw new Error(`${column}: only integers and text can be hashed identically in SQL and TS (got ${value})`);
		return String(value);
	}
	if (typeof value === 'bigint') return value.toString();
	if (typeof value === 'boolean') return value ? 'true' : 'false';
	throw new Error(`${column}: cannot hash a ${value instanceof Date ? 'Date' : typeof value}; pass the value as text`);
}

/** btrim() removes spaces only, so this does too. */
const lowerTrim = (s: string) => s.replace(/^ +| +$/g, '').toLowerCase();

export function hashText(salt: string, text: string, opts: Partial<HashOptions> = {}): string {
	const o = { ...DEFAULTS, ...opts };
	const input = o.normalise === 'lower_trim' ? lowerTrim(text) : text;
	const hex =
		o.algorithm === 'hmac_sha256'
			? createHmac('sha256', salt).update(input, 'utf8').digest('hex')
			: createHash('sha256').update(`${salt}:${input}`, 'utf8').digest('hex');
	return o.truncate ? hex.slice(0, o.truncate) : hex;
}

/** user_hash for one value; null stays null (as in SQL, where NULL || … is NULL). */
export function hashValue(salt: string, value: unknown, opts: Partial<HashOptions> = {}, column?: string): string | null {
	const text = hashInputText(value, column);
	return text === null ? null : hashText(salt, text, opts);
}

/**
 * SQL for the same hash. `saltParam` is a placeholder such as `$3` — the salt is always a bound parameter, never
 * part of the statement text (which can reach the server log). `valueExpr` is an already-quoted expression.
 */
export function hashSql(valueExpr: string, saltParam: string, opts: Partial<HashOptions> = {}): string {
	const o = { ...DEFAULTS, ...opts };
	const text = o.normalise === 'lower_trim' ? `lower(btrim((${valueExpr})::text))` : `(${valueExpr})::text`;
	const hex =
		o.algorithm === 'hmac_sha256'
			? `encode(hmac(${text}, ${saltParam}::text, 'sha256'), 'hex')`
			: `encode(digest(${saltParam}::text || ':' || ${text}, 'sha256'), 'hex')`;
	return o.truncate ? `left(${hex}, ${o.truncate})` : hex;
}

/** Keyed lookup hash of a vault value (bytea in SQL, Buffer here): stable tokens without storing the value in clear. */
export function vaultLookupHash(hmacKey: string, value: string): Buffer {
	return createHmac('sha256', hmacKey).update(value, 'utf8').digest();
}

export function vaultLookupHashSql(valueExpr: string, keyParam: string): string {
	return `hmac((${valueExpr})::text, ${keyParam}::text, 'sha256')`;
}

/**
 * Identifies a forgotten person in dwh_control.rtbf_subjects without keeping their user id: keyed, so the
 * register cannot be reversed by hashing candidate ids, and independent of salt rotation.
 */
export function subjectHmac(hmacKey: string, userId: string): string {
	return createHmac('sha256', hmacKey).update(`subject:${userId}`, 'utf8').digest('hex');
}

export function subjectHmacSql(valueExpr: string, keyParam: string): string {
	return `encode(hmac('subject:' || (${valueExpr})::text, ${keyParam}::text, 'sha256'), 'hex')`;
}
