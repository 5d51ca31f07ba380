import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicies, loadPolicyFile, loadPolicyFor, parsePolicyText, PolicyError, PolicyNameError } from '../../../src/anonymise/policyLoader';
import { outputColumns } from '../../../src/anonymise/policy.schema';
import { sourceRegistrySchema } from '../../../src/config/registry.schema';

const base = (columns: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
	JSON.stringify({ source_db: 'auth_db', version: '1', tables: [{ table: 'users', columns, ...extra }] });

function problems(text: string): string {
	try {
		parsePolicyText(text, 'auth_db.policy.json');
	} catch (err) {
		expect(err).toBeInstanceOf(PolicyError);
		return (err as Error).message;
	}
	throw new Error('expected a PolicyError');
}

test('a hash without its salt names source, table, column and the missing field', () => {
	expect(problems(base({ id: { strategy: 'hash' } }))).toBe(
		'Anonymisation policy auth_db (auth_db.policy.json) is invalid — table users, column id, salt: salt is required',
	);
});

test('an unknown strategy lists the valid ones', () => {
	expect(problems(base({ email: { strategy: 'encrypt' } }))).toBe(
		'Anonymisation policy auth_db (auth_db.policy.json) is invalid — table users, column email, strategy: strategy must be one of keep, suppress, hash, tokenise, generalise; got "encrypt"',
	);
	expect(problems(base({ email: 'hide' }))).toContain('table users, column email: must be "keep", "suppress" or an object with a strategy');
});

test('an unknown generalisation rule, a bad truncation and a typo in a field are each named', () => {
	const msg = problems(
		base({ dob: { strategy: 'generalise', rule: 'age_decade' }, id: { strategy: 'hash', salt: 'users', truncate: 8 }, ip: { strategy: 'keep', ass: 'x' } }),
	);
	expect(msg).toContain(
		"table users, column dob, rule: Invalid discriminator value. Expected 'age_band' | 'postcode_4' | 'gps_grid' | 'ip_geo' | 'device_class' | 'timestamp_hour' | 'address_city'",
	);
	expect(msg).toContain('table users, column id, truncate:');
	expect(msg).toContain("table users, column ip: Unrecognized key(s) in object: 'ass'");
});

test('two columns producing the same output, an unhashed subject and a bad identifier are refused', () => {
	const msg = problems(
		base(
			{
				id: { strategy: 'hash', salt: 'users', as: 'user_hash' },
				user_id: { strategy: 'hash', salt: 'users', as: 'user_hash' },
				owner: 'keep',
				'Bad-Name': 'keep',
			},
			{ subject: { column: 'owner' } },
		),
	);
	expect(msg).toContain('table users, column user_id: output column user_hash is also produced by id; set "as"');
	expect(msg).toContain('table users, column owner: the subject column must be hashed (it identifies a person), not keep');
	expect(msg).toContain('table users, column Bad-Name: column name must be a lower-case SQL identifier');
});

test('broken JSON is reported without echoing the file', () => {
	expect(problems('{"source_db": "auth_db", "version": "1", tables: [')).toMatch(/^Anonymisation policy auth_db.policy.json is invalid — not valid JSON/);
});

test('file name must match source_db, and a missing policy says where it was looked for', () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'policies-'));
	writeFileSync(path.join(dir, 'tagme_db.policy.json'), base({ id: 'keep' }));
	expect(() => loadPolicyFile(path.join(dir, 'tagme_db.policy.json'))).toThrow(
		'Anonymisation policy auth_db (tagme_db.policy.json) is invalid — file must be named auth_db.policy.json',
	);
	expect(() => loadPolicyFor('ledger_db', dir)).toThrow(
		`no policy file ${path.join(dir, 'ledger_db.policy.json')}: every source needs one before its data may leave raw.*`,
	);
});

test('a sourceDb that is not a plain name never reaches the file system', () => {
	const root = mkdtempSync(path.join(os.tmpdir(), 'policies-'));
	const dir = path.join(root, 'policies');
	mkdirSync(dir);
	writeFileSync(path.join(root, 'x.policy.json'), base({ id: 'keep' }).replace('"auth_db"', '"x"'));
	for (const name of ['../x', path.join(root, 'x'), 'x/../../x', '..\\x', '', 'X']) {
		expect(() => loadPolicyFor(name, dir)).toThrow(PolicyNameError);
		expect(() => loadPolicyFor(name, dir)).toThrow(/^sourceDb ".*" is not a source database name: sourceDb must be a lower-case SQL identifier/);
	}
});

test('the repository policies load and cover the sources in full detail', () => {
	const all = loadPolicies();
	for (const db of ['auth_db', 'ledger_db', 'tagme_db', 'messaging_db', 'bidbaas_db', 'sdpkt_db', 'takemehome_db', 'whatwewant_db'])
		expect(all.has(db)).toBe(true);
	const messages = all.get('messaging_db')!.policy.tables.find((t) => t.table === 'messages')!;
	expect(messages.columns.body).toEqual({ strategy: 'suppress', reason: 'message content never leaves (§6.5)' });
	for (const [, { policy }] of all) {
		for (const t of policy.tables) {
			for (const [col, spec] of Object.entries(t.columns)) {
				// Nothing is kept under a name that still says what it was: outputs of hashing etc. are renamed.
				if (spec.strategy !== 'keep' && spec.strategy !== 'suppress') expect(outputColumns(col, spec)).not.toContain(col);
			}
		}
	}
});

test('every table of the source registry (design doc §5) has a policy table; unreviewed sources are drafts that suppress what they do not list', () => {
	const registry = sourceRegistrySchema.parse(JSON.parse(readFileSync(path.join(__dirname, '../../../dwh-control-sql/source-registry.json'), 'utf8')));
	const all = loadPolicies();
	const missing = registry.tables
		.filter((t) => !all.get(t.source_db)?.policy.tables.some((p) => p.table === t.source_table))
		.map((t) => `${t.source_db}.${t.source_table}`);
	expect(missing).toEqual([]);
	for (const [db, { policy }] of all) {
		if (['auth_db', 'ledger_db', 'tagme_db', 'messaging_db', 'bidbaas_db', 'sdpkt_db', 'takemehome_db', 'whatwewant_db'].includes(db)) {
			expect(policy.version).not.toMatch(/draft/);
			for (const t of policy.tables) expect(t.unlisted_columns).toBe('fail');
		} else {
			expect(policy.version).toMatch(/draft$/);
			for (const t of policy.tables) expect(t.unlisted_columns).toBe('suppress');
		}
	}
});

test('a policy file decides the subject of every table: a column, or none with the reason', () => {
	const dir = mkdtempSync(path.join(os.tmpdir(), 'policies-'));
	const file = path.join(dir, 'auth_db.policy.json');
	writeFileSync(file, base({ id: 'keep' }));
	expect(() => loadPolicyFile(file)).toThrow(
		'Anonymisation policy auth_db (auth_db.policy.json) is invalid — table users: subject is required — {"column": "<the user id column>"}, or {"none": "<why no person is in this table>"}',
	);
	writeFileSync(file, base({ id: 'keep' }, { subject: { none: 'App definitions: no person in it.' } }));
	expect(loadPolicyFile(file).policy.tables[0].subject).toEqual({ none: 'App definitions: no person in it.' });
	expect(problems(base({ id: 'keep' }, { subject: { none: 'n/a' } }))).toContain('subject.none must say why the table holds no person');
});

test('a legal hold needs a subject and a date column the policy keeps', () => {
	const msg = problems(
		base(
			{ id: 'keep', created_at: { strategy: 'generalise', rule: 'timestamp_hour' } },
			{ legal_hold: { basis: 'FICA', years: 5, date_column: 'created_at' } },
		),
	);
	expect(msg).toContain('table users, legal_hold: a legal hold needs a subject column (it unlinks that person)');
	expect(msg).toContain('table users, legal_hold.date_column: legal_hold.date_column created_at must be a column the policy keeps');
});

test('every repository policy, drafts included, names the subject of every table; ledger transactions are a FICA hold', () => {
	for (const [db, { policy }] of loadPolicies()) {
		for (const t of policy.tables) {
			expect([db, t.table, t.subject === undefined]).toEqual([db, t.table, false]);
			if (t.subject && 'column' in t.subject) expect(t.columns[t.subject.column]).toMatchObject({ strategy: 'hash', salt: 'users' });
		}
	}
	const tx = loadPolicies()
		.get('ledger_db')!
		.policy.tables.find((t) => t.table === 'transactions')!;
	expect(tx.legal_hold).toEqual({ basis: 'FICA s22/s23 (design doc §6.7): transaction records kept for 5 years', years: 5, date_column: 'created_at' });
});
