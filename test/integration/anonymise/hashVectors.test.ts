import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { hashSql, hashText, hashValue } from '../../../src/anonymise/hashing';
import { adminConnection, dropDatabase, freshDatabase } from '../../harness/testEnv';

/** The vectors app teams check their own implementation against: docs/anonymise.md is the source. */
function docVectors(): { salt: string; value: string; sha256: string; truncated: string; hmac: string }[] {
	const doc = readFileSync(path.join(__dirname, '../../../docs/anonymise.md'), 'utf8');
	const block = doc.split('<!-- test-vectors:start -->')[1]?.split('<!-- test-vectors:end -->')[0];
	if (!block) throw new Error('docs/anonymise.md has no test-vectors block');
	return block
		.split('\n')
		.filter((l) => l.startsWith('| `'))
		.map((l) => {
			const [salt, value, sha256, truncated, hmac] = l
				.split('|')
				.slice(1, 6)
				.map((c) => c.trim().replace(/^`|`$/g, ''));
			return { salt, value, sha256, truncated, hmac };
		});
}

let db: pg.Client;
let name: string;

beforeAll(async () => {
	const conn = await freshDatabase('anon_vectors');
	name = conn.database;
	db = new pg.Client({ ...adminConnection(name) } as pg.ClientConfig);
	await db.connect();
	await db.query('CREATE EXTENSION pgcrypto');
});
afterAll(async () => {
	await db?.end();
	if (name) await dropDatabase(name);
});

test('the docs publish at least five vectors covering ints, uuids, spaces and unicode', () => {
	const v = docVectors();
	expect(v.length).toBeGreaterThanOrEqual(5);
	expect(v.some((x) => /^[0-9a-f-]{36}$/.test(x.value))).toBe(true);
	expect(v.some((x) => /[^\x00-\x7f]/.test(x.salt))).toBe(true);
});

test.each(docVectors())('TypeScript gives the published hashes for salt $salt, value $value', (v) => {
	expect(hashText(v.salt, v.value)).toBe(v.sha256);
	expect(hashText(v.salt, v.value, { truncate: 16 })).toBe(v.truncated);
	expect(hashText(v.salt, v.value, { algorithm: 'hmac_sha256' })).toBe(v.hmac);
});

test('Postgres (pgcrypto, the exact §6.2 expression) gives the published hashes', async () => {
	for (const v of docVectors()) {
		const { rows } = await db.query(
			`SELECT encode(digest($1 || ':' || $2::text, 'sha256'), 'hex') AS literal,
			        ${hashSql('$2', '$1')} AS built,
			        ${hashSql('$2', '$1', { truncate: 16 })} AS truncated,
			        ${hashSql('$2', '$1', { algorithm: 'hmac_sha256' })} AS hmac`,
			[v.salt, v.value],
		);
		expect(rows[0]).toEqual({ literal: v.sha256, built: v.sha256, truncated: v.truncated, hmac: v.hmac });
	}
});

test('an integer user_id column hashes like its text in SQL and TS; NULL stays NULL', async () => {
	const salt = 'tgn-users-2026-test-vector';
	const { rows } = await db.query(`SELECT ${hashSql('u.id', '$1')} AS h FROM (VALUES (1::bigint), (42), (NULL)) u(id) ORDER BY u.id NULLS LAST`, [salt]);
	expect(rows.map((r) => r.h)).toEqual([hashValue(salt, 1), hashValue(salt, 42), null]);
	expect(hashValue(salt, 42n)).toBe(hashValue(salt, '42'));
	const { rows: norm } = await db.query(`SELECT ${hashSql('$2', '$1', { normalise: 'lower_trim' })} AS h`, [salt, '  Thabo@Example.CO.za ']);
	expect(norm[0].h).toBe(hashValue(salt, 'thabo@example.co.za'));
	expect(hashValue(salt, '  Thabo@Example.CO.za ', { normalise: 'lower_trim' })).toBe(norm[0].h);
});
