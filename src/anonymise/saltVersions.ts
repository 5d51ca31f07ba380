import type pg from 'pg';
import { latestSaltVersion, saltFingerprint, saltFor, type ResolvedSalt, type Salts } from './secrets.schema';

type Db = pg.Pool | pg.PoolClient;

export class SaltMismatchError extends Error {
	constructor(readonly saltType: string, readonly version: number) {
		super(
			`Salt "${saltType}" version ${version} in the anonymisation-secrets credential is not the one this warehouse has been ` +
				`hashing with (fingerprint differs). Restore the original value of version ${version}; to change a salt on purpose, ` +
				`add a new version and run the Rotate Salt operation.`,
		);
		this.name = 'SaltMismatchError';
	}
}

/**
 * The salt each type is hashed with: the version recorded in dwh_control.anonymise_salts, or — the first time a
 * type is used — the newest version in the credential, which is then recorded. Adding a version to the
 * credential changes nothing until Rotate Salt activates it.
 */
export async function resolveActiveSalts(db: Db, salts: Salts, types: string[]): Promise<Map<string, ResolvedSalt>> {
	const out = new Map<string, ResolvedSalt>();
	if (!types.length) return out;
	const { rows } = await db.query<{ salt_type: string; active_version: number; fingerprint: string }>(
		'SELECT salt_type, active_version, fingerprint FROM dwh_control.anonymise_salts WHERE salt_type = ANY($1::text[])',
		[types],
	);
	const active = new Map(rows.map((r) => [r.salt_type, r]));
	for (const type of types) {
		const row = active.get(type);
		if (row) {
			const s = saltFor(salts, type, row.active_version);
			if (saltFingerprint(s.salt) !== row.fingerprint) throw new SaltMismatchError(type, row.active_version);
			out.set(type, s);
			continue;
		}
		const latest = latestSaltVersion(salts, type);
		if (latest === null) {
			throw new Error(
				`The policy hashes with salt "${type}" but the anonymisation-secrets credential has no "${type}" salt — add {"${type}": {"1": "<32 random bytes as hex>"}} to Salts`,
			);
		}
		const s = saltFor(salts, type, latest);
		await db.query('INSERT INTO dwh_control.anonymise_salts (salt_type, active_version, fingerprint) VALUES ($1, $2, $3) ON CONFLICT (salt_type) DO NOTHING', [
			type,
			latest,
			saltFingerprint(s.salt),
		]);
		out.set(type, s);
	}
	return out;
}

export async function activeSaltVersion(db: Db, type: string): Promise<number | null> {
	const { rows } = await db.query<{ v: number }>('SELECT active_version AS v FROM dwh_control.anonymise_salts WHERE salt_type = $1', [type]);
	return rows[0]?.v ?? null;
}

export async function activateSalt(db: Db, salt: ResolvedSalt): Promise<void> {
	await db.query(
		`INSERT INTO dwh_control.anonymise_salts (salt_type, active_version, fingerprint, activated_at) VALUES ($1, $2, $3, now())
		 ON CONFLICT (salt_type) DO UPDATE SET active_version = EXCLUDED.active_version, fingerprint = EXCLUDED.fingerprint, activated_at = now()`,
		[salt.type, salt.version, saltFingerprint(salt.salt)],
	);
}

export function saltVersionsJson(salts: Map<string, ResolvedSalt>): Record<string, number> {
	return Object.fromEntries([...salts.values()].map((s) => [s.type, s.version]));
}
