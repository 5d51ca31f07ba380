import type pg from 'pg';
import { vaultLookupHash } from './hashing';
import { suppressParameterLogging } from './logSafety';
import { withTransaction } from '../transport/transaction';

/**
 * compliance.token_vault (design doc §6.3) in its own database. Values are encrypted by Postgres with
 * pgp_sym_encrypt under the key from the credential, passed as a bound parameter; a keyed hash of the value finds
 * its existing token, so the same value always gets the same token and nothing is decrypted to look it up.
 */

export interface VaultKeys {
	/** Keys lookup_hash; must never change (existing values would get new tokens). */
	hmacKey: string;
	encryptionKey: string;
}

export interface TokeniseEntry {
	value: string;
	/** subjectHmac() of the person the value belongs to, for right-to-be-forgotten; null when not known. */
	subject?: string | null;
}

/** AES-256; salted S2K without iterations is enough for a 32+ character random key and keeps bulk inserts fast. */
const PGP_OPTIONS = 'cipher-algo=aes256, s2k-mode=1';
const BATCH = 10_000;

export class VaultError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'VaultError';
	}
}

export class TokenVault {
	constructor(
		private readonly pool: pg.Pool,
		private readonly keys: VaultKeys,
		/** Refuse to send keys when the vault server could log bound parameters (see logSafety.ts). */
		private readonly requireLogSafety = true,
	) {}

	/** Every statement carrying a key runs in a transaction with parameter logging switched off. */
	private async safely<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
		return withTransaction(this.pool, async (client) => {
			await suppressParameterLogging(client, this.requireLogSafety);
			return fn(client);
		});
	}

	/**
	 * Tokens for `entries` under `kind`, creating the missing ones. Returns value → token (bigint as text, as
	 * node-postgres reads it) and how many tokens were new.
	 */
	async tokenise(kind: string, entries: TokeniseEntry[], sourceDb: string | null = null): Promise<{ tokens: Map<string, string>; issued: number }> {
		const tokens = new Map<string, string>();
		let issued = 0;
		for (let i = 0; i < entries.length; i += BATCH) {
			const batch = entries.slice(i, i + BATCH);
			const r = await this.tokeniseBatch(kind, batch, sourceDb);
			issued += r.issued;
			for (const [v, t] of r.tokens) tokens.set(v, t);
		}
		return { tokens, issued };
	}

	private async tokeniseBatch(kind: string, entries: TokeniseEntry[], sourceDb: string | null): Promise<{ tokens: Map<string, string>; issued: number }> {
		const byHash = new Map<string, { hash: Buffer; value: string }>();
		for (const e of entries) {
			const hash = vaultLookupHash(this.keys.hmacKey, e.value);
			byHash.set(hash.toString('hex'), { hash, value: e.value });
		}
		const uniq = [...byHash.values()];
		const lookup = async (hashes: Buffer[]) =>
			(
				await this.pool.query<{ token: string; h: string }>(
					`SELECT token::text AS token, encode(lookup_hash, 'hex') AS h FROM compliance.token_vault WHERE kind = $1 AND lookup_hash = ANY($2::bytea[])`,
					[kind, hashes],
				)
			).rows;
		// Known values first: encrypting is the expensive part, and a rebuild finds almost every value already there.
		const rows = await lookup(uniq.map((u) => u.hash));
		const known = new Set(rows.map((r) => r.h));
		const missing = uniq.filter((u) => !known.has(u.hash.toString('hex')));
		let issued = 0;
		if (missing.length) {
			const ins = await this.safely((c) =>
				c.query(
					`INSERT INTO compliance.token_vault (kind, lookup_hash, value_encrypted)
					 SELECT $1, h, pgp_sym_encrypt(v, $4::text, $5) FROM unnest($2::bytea[], $3::text[]) AS t(h, v)
					 ON CONFLICT (kind, lookup_hash) DO NOTHING`,
					[kind, missing.map((u) => u.hash), missing.map((u) => u.value), this.keys.encryptionKey, PGP_OPTIONS],
				),
			);
			issued = ins.rowCount ?? 0;
			rows.push(...(await lookup(missing.map((u) => u.hash))));
		}
		const tokenByHash = new Map(rows.map((r) => [r.h, r.token]));
		const tokens = new Map<string, string>();
		const links: [string, string][] = [];
		for (const e of entries) {
			const token = tokenByHash.get(vaultLookupHash(this.keys.hmacKey, e.value).toString('hex'));
			if (!token) throw new VaultError(`vault returned no token for a ${kind} value`);
			tokens.set(e.value, token);
			if (e.subject) links.push([token, e.subject]);
		}
		if (links.length) {
			await this.pool.query(
				`INSERT INTO compliance.token_subjects (token, subject_hmac, source_db)
				 SELECT DISTINCT t, s, $3 FROM unnest($1::bigint[], $2::text[]) AS u(t, s)
				 ON CONFLICT DO NOTHING`,
				[links.map((l) => l[0]), links.map((l) => l[1]), sourceDb],
			);
		}
		return { tokens, issued };
	}

	/**
	 * Break-glass: the clear value of a token. The audit row is committed before anything is decrypted, so a
	 * reveal is on record even when the key turns out to be wrong.
	 */
	async reveal(token: string | number, reason: string): Promise<{ kind: string; value: string }> {
		if (!reason.trim()) throw new VaultError('a reveal needs a reason (it is written to compliance.reveal_log)');
		const { rows: found } = await this.pool.query<{ kind: string }>('SELECT kind FROM compliance.token_vault WHERE token = $1', [String(token)]);
		if (!found.length) throw new VaultError(`token ${token} is not in the vault (never issued, or purged by right-to-be-forgotten)`);
		await this.pool.query('INSERT INTO compliance.reveal_log (token, kind, reason) VALUES ($1, $2, $3)', [String(token), found[0].kind, reason]);
		try {
			const { rows } = await this.safely((c) =>
				c.query<{ value: string }>('SELECT pgp_sym_decrypt(value_encrypted, $2::text) AS value FROM compliance.token_vault WHERE token = $1', [
					String(token),
					this.keys.encryptionKey,
				]),
			);
			return { kind: found[0].kind, value: rows[0].value };
		} catch (err) {
			const e = err as { message?: string };
			if (/wrong key|corrupt data/i.test(e.message ?? ''))
				throw new VaultError(`token ${token} cannot be decrypted with this Vault Encryption Key (wrong key)`);
			throw err;
		}
	}

	/**
	 * Right-to-be-forgotten: removes the people's links and every token no one else is linked to.
	 * Tokens issued without a subject are left alone (nothing ties them to a person).
	 */
	async purgeSubjects(subjects: string[]): Promise<{ linksRemoved: number; tokensPurged: number }> {
		if (!subjects.length) return { linksRemoved: 0, tokensPurged: 0 };
		return withTransaction(this.pool, async (client) => {
			const links = await client.query<{ token: string }>(
				'DELETE FROM compliance.token_subjects WHERE subject_hmac = ANY($1::text[]) RETURNING token::text AS token',
				[subjects],
			);
			const touched = [...new Set(links.rows.map((r) => r.token))];
			const purged = await client.query(
				`DELETE FROM compliance.token_vault v WHERE v.token = ANY($1::bigint[])
				   AND NOT EXISTS (SELECT 1 FROM compliance.token_subjects s WHERE s.token = v.token)`,
				[touched],
			);
			return { linksRemoved: links.rowCount ?? 0, tokensPurged: purged.rowCount ?? 0 };
		});
	}
}
