import { createHash } from 'node:crypto';
import { z } from 'zod';
import { postgresConnectionSchema } from '../config/connection.schema';
import { sqlIdentifier } from '../config/identifiers';

/**
 * What the DataAcuity Anonymisation Secrets credential holds (the only place salts and keys live).
 * No message produced here ever contains a secret: JSON.parse errors are replaced, because V8 quotes the input.
 */

const secret = (field: string, min = 16) =>
	z.string({ required_error: `${field} is required` }).min(min, `${field} must be at least ${min} characters (generate 32 random bytes as hex)`);

/** { "<salt type>": { "<version>": "<salt>" } }, e.g. { "users": { "1": "…", "2": "…" } }. */
export const saltsSchema = z
	.record(sqlIdentifier('salt type'), z.record(z.string().regex(/^[1-9]\d{0,5}$/, 'salt versions are positive integers such as "1"'), secret('salt')))
	.refine((s) => Object.keys(s).length > 0, 'Salts must define at least one salt type');
export type Salts = z.output<typeof saltsSchema>;

/** Accepts the JSON text the credential stores (or an object); inner issues keep their path under Salts. */
const saltsField = z.unknown().transform((v, ctx): Salts => {
	let value = v;
	if (typeof v === 'string') {
		try {
			value = JSON.parse(v);
		} catch {
			ctx.addIssue({ code: 'custom', message: 'Salts is not valid JSON (expected {"users": {"1": "<salt>"}})' });
			return z.NEVER;
		}
	}
	const parsed = saltsSchema.safeParse(value);
	if (!parsed.success) {
		for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path });
		return z.NEVER;
	}
	return parsed.data;
});

export const anonymisationSecretsSchema = z
	.object({
		salts: saltsField,
		/** Keys the vault lookup hash and the forgotten-subject register; never rotated (that would orphan tokens). */
		hmacKey: secret('HMAC Key', 32),
		/** pgp_sym_encrypt passphrase for compliance.token_vault values. */
		vaultEncryptionKey: secret('Vault Encryption Key', 32).optional(),
		/** compliance database (design doc §6.3: its own DB with its own backups). Optional until something is tokenised. */
		vault: postgresConnectionSchema.optional(),
	})
	.strict();
export type AnonymisationSecrets = z.output<typeof anonymisationSecretsSchema>;
export type AnonymisationSecretsInput = z.input<typeof anonymisationSecretsSchema>;

export interface ResolvedSalt {
	type: string;
	version: number;
	salt: string;
}

/** A short, non-reversible identifier of a salt value, stored in dwh_control to notice a salt silently changed. */
export function saltFingerprint(salt: string): string {
	return createHash('sha256').update(`dataacuity:salt-fingerprint:${salt}`).digest('hex').slice(0, 16);
}

export function latestSaltVersion(salts: Salts, type: string): number | null {
	const versions = Object.keys(salts[type] ?? {}).map(Number);
	return versions.length ? Math.max(...versions) : null;
}

export function saltFor(salts: Salts, type: string, version: number): ResolvedSalt {
	const value = salts[type]?.[String(version)];
	if (value === undefined) {
		const have = Object.keys(salts[type] ?? {});
		throw new Error(
			`The anonymisation-secrets credential has no salt "${type}" version ${version}` +
				(have.length ? ` (it has versions ${have.join(', ')})` : ` (it has no "${type}" salts at all)`) +
				` — add it to Salts as {"${type}": {"${version}": "<salt>"}}`,
		);
	}
	return { type, version, salt: value };
}
