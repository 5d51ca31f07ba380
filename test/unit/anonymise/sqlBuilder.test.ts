import { parsePolicy } from '../../../src/anonymise/policyLoader';
import { anonymisationSecretsSchema } from '../../../src/anonymise/secrets.schema';
import { buildAnonymiseSelect, PolicyCoverageError, TOKEN_TABLE } from '../../../src/anonymise/sqlBuilder';

const policy = parsePolicy(
	{
		source_db: 'auth_db',
		version: '1',
		tables: [
			{
				table: 'users',
				subject: { column: 'id' },
				columns: {
					id: { strategy: 'hash', salt: 'users', as: 'user_hash' },
					email: { strategy: 'hash', salt: 'users', algorithm: 'hmac_sha256' },
					sa_id_number: { strategy: 'tokenise', kind: 'identity_document' },
					date_of_birth: { strategy: 'generalise', rule: 'age_band' },
					first_name: 'suppress',
					status: 'keep',
				},
			},
		],
	},
	'test',
);
const SALT = 'super-secret-users-salt-value-0001';
const KEY = 'super-secret-hmac-key-000000000000000000';
const input = ['id', 'email', 'sa_id_number', 'date_of_birth', 'first_name', 'status', '_dwh_run_id'].map((name) => ({ name, type: 'text' }));

test('secrets and the as-of date are bound parameters, identifiers are quoted, suppressed and pipeline columns are not selected', () => {
	const b = buildAnonymiseSelect({
		policy: policy,
		table: policy.tables[0],
		input,
		salts: new Map([['users', { type: 'users', version: 1, salt: SALT }]]),
		hmacKey: KEY,
		asOf: '2026-11-25',
		tokenTable: TOKEN_TABLE,
	});
	expect(b.select).not.toContain(SALT);
	expect(b.select).not.toContain(KEY);
	expect(b.select).not.toContain('2026-11-25');
	expect(b.params).toEqual([SALT, 'identity_document', KEY, '2026-11-25']);
	expect(b.select).toContain(`encode(digest($1::text || ':' || (s."id")::text, 'sha256'), 'hex') AS "user_hash"`);
	expect(b.select).toContain(`encode(hmac((s."email")::text, $1::text, 'sha256'), 'hex') AS "email_hash"`);
	expect(b.select).toContain(`dwh_control.age_band((s."date_of_birth")::date, $4::date) AS "age_band"`);
	expect(b.select).toContain(
		`FROM "raw"."auth_db__users" s LEFT JOIN pg_temp._dwh_tokens tk2 ON tk2.kind = $2 AND tk2.lookup_hash = hmac((s."sa_id_number")::text, $3::text, 'sha256')`,
	);
	expect(b.select).toContain(
		`WHERE NOT EXISTS (SELECT 1 FROM dwh_control.rtbf_subjects f WHERE f.subject_hmac = encode(hmac('subject:' || (s."id")::text, $3::text, 'sha256'), 'hex'))`,
	);
	expect(b.select).not.toContain('first_name');
	expect(b.select).not.toContain('_dwh_run_id');
	expect(b.outputColumns).toEqual(['user_hash', 'email_hash', 'sa_id_number_token', 'age_band', 'status']);
	expect(b.tokenised).toEqual([{ column: 'sa_id_number', kind: 'identity_document' }]);
});

test('missing and unlisted columns are listed together', () => {
	const err = (() => {
		try {
			buildAnonymiseSelect({
				policy,
				table: policy.tables[0],
				input: [...input.filter((c) => c.name !== 'status'), { name: 'nickname', type: 'text' }],
				salts: new Map(),
				hmacKey: KEY,
				asOf: '2026-11-25',
			});
		} catch (e) {
			return e as PolicyCoverageError;
		}
		throw new Error('expected an error');
	})();
	expect(err).toBeInstanceOf(PolicyCoverageError);
	expect(err.problems).toEqual([
		'column status is in the policy but not in raw.auth_db__users — remove it from the policy or check the input relation',
		'column nickname of raw.auth_db__users is not covered by the policy — add it with a strategy (keep, suppress, hash, tokenise, generalise) and bump the version',
	]);
});

test('the secrets schema never echoes a salt in its errors', () => {
	const bad = anonymisationSecretsSchema.safeParse({ salts: '{"users": {"1": "my-very-secret-salt-value"', hmacKey: KEY });
	expect(bad.success).toBe(false);
	expect(JSON.stringify(bad.error!.issues)).not.toContain('my-very-secret');
	expect(bad.error!.issues[0].message).toBe('Salts is not valid JSON (expected {"users": {"1": "<salt>"}})');
	const short = anonymisationSecretsSchema.safeParse({ salts: { users: { '1': 'short' } }, hmacKey: 'k' });
	expect(short.error!.issues.map((i) => i.message)).toEqual([
		'salt must be at least 16 characters (generate 32 random bytes as hex)',
		'HMAC Key must be at least 32 characters (generate 32 random bytes as hex)',
	]);
	expect(JSON.stringify(short.error!.issues)).not.toContain('"short"');
});

test('a suppressed column the extract already excluded is not an error', () => {
	const b = buildAnonymiseSelect({
		policy,
		table: policy.tables[0],
		input: input.filter((c) => c.name !== 'first_name'),
		salts: new Map([['users', { type: 'users', version: 1, salt: SALT }]]),
		hmacKey: KEY,
		asOf: '2026-11-25',
		tokenTable: TOKEN_TABLE,
	});
	expect(b.outputColumns).toEqual(['user_hash', 'email_hash', 'sa_id_number_token', 'age_band', 'status']);
});
