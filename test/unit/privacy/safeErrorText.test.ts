import { redactErrorText, safeErrorText, WITHHELD } from '../../../src/privacy/safeErrorText';
import { displayUrl, redactUserinfo } from '../../../src/privacy/redactUserinfo';
import { PushFailedError } from '../../../src/pushback/pushTarget';
import { describeConnectionError } from '../../../src/transport/postgres';

const pgError = (fields: Record<string, string>) => Object.assign(new Error(fields.message), fields);

describe('safeErrorText: driver errors are rebuilt without row values', () => {
	// [what it shows, the driver error's fields, the text that may be logged]
	test.each<[string, Record<string, string>, string]>([
		[
			'a COPY type error keeps type, SQLSTATE, column and CSV line, not the value',
			{
				message: 'invalid input syntax for type integer: "someone@example.com"',
				code: '22P02',
				where: 'COPY _dwh_stage, line 3, column age: "someone@example.com"',
			},
			`invalid input syntax for type integer: ${WITHHELD} [SQLSTATE 22P02] | COPY _dwh_stage, line 3, column age`,
		],
		[
			'a unique violation keeps the constraint and the key column list, not the key value',
			{
				message: 'duplicate key value violates unique constraint "users_email_key"',
				code: '23505',
				constraint: 'users_email_key',
				detail: 'Key (email)=(x@y.co.za) already exists.',
			},
			`duplicate key value violates unique constraint "users_email_key" [SQLSTATE 23505; constraint users_email_key] | Key (email)=(${WITHHELD}) already exists.`,
		],
		[
			'COPY line text in CONTEXT goes',
			{ message: 'extra data after last expected column', code: '22P04', where: 'COPY _dwh_stage, line 7: "7,Thandi,thandi@example.com,extra"' },
			'extra data after last expected column [SQLSTATE 22P04] | COPY _dwh_stage, line 7',
		],
		[
			'SQL statements in CONTEXT go',
			{ message: 'boom', code: 'P0001', where: 'SQL statement "INSERT INTO t VALUES (\'0821234567\')"\nPL/pgSQL function f() line 3 at EXECUTE' },
			'boom [SQLSTATE P0001] | PL/pgSQL function f() line 3 at EXECUTE',
		],
		[
			'a datetime error quoting the value without a colon loses it',
			{ message: 'invalid value "Th" for "YYYY"', code: '22007', detail: 'Value must be an integer.' },
			`invalid value "${WITHHELD}" for "${WITHHELD}" [SQLSTATE 22007]`,
		],
		[
			'an out-of-range value loses it',
			{ message: 'value "27821234567" is out of range for type integer', code: '22003' },
			`value "${WITHHELD}" is out of range for type integer [SQLSTATE 22003]`,
		],
		[
			'a too-long value carries none',
			{ message: 'value too long for type character varying(3)', code: '22001' },
			'value too long for type character varying(3) [SQLSTATE 22001]',
		],
		[
			'an encoding error loses its bytes',
			{ message: 'invalid byte sequence for encoding "UTF8": 0xe9 0x20', code: '22021' },
			`invalid byte sequence for encoding "UTF8": ${WITHHELD} [SQLSTATE 22021]`,
		],
		[
			'a JSON error loses its tokens',
			{ message: 'invalid input syntax for type json', code: '22P02', detail: 'Token "thandi" is invalid.', where: 'JSON data, line 1: {"email": thandi...' },
			'invalid input syntax for type json [SQLSTATE 22P02]',
		],
		[
			'an operational error keeps its detail and hint',
			{
				message: 'deadlock detected',
				code: '40P01',
				detail: 'Process 12 waits for ShareLock on transaction 99; blocked by process 13.',
				hint: 'See server log for query details.',
			},
			'deadlock detected [SQLSTATE 40P01] | Process 12 waits for ShareLock on transaction 99; blocked by process 13. | See server log for query details.',
		],
	])('%s', (_what, fields, expected) => {
		expect(safeErrorText(pgError(fields))).toBe(expected);
	});

	test('not-null and foreign-key details lose the row', () => {
		const notNull = safeErrorText(
			pgError({
				message: 'null value in column "id" of relation "t" violates not-null constraint',
				code: '23502',
				column: 'id',
				detail: 'Failing row contains (null, Thandi, 0821234567).',
			}),
		);
		expect(notNull).not.toMatch(/Thandi|082/);
		expect(notNull).toContain('[SQLSTATE 23502; column id]');
		const fk = safeErrorText(
			pgError({
				message: 'insert or update on table "a" violates foreign key constraint "a_u_fkey"',
				code: '23503',
				detail: 'Key (user_email)=(a@b.c) is not present in table "users".',
			}),
		);
		expect(fk).toContain(`Key (user_email)=(${WITHHELD}) is not present in table "users".`);
	});

	test('without the SQLSTATE when asked', () => {
		expect(safeErrorText(pgError({ message: 'relation "x" does not exist', code: '42P01' }), { sqlstate: false })).toBe('relation "x" does not exist');
	});
});

describe('redactErrorText: the same value shapes in plain text (dbt output, wrapped messages)', () => {
	test('dbt database errors', () => {
		const dbt = [
			'Database Error in model stg_users (models/staging/stg_users.sql)',
			'  invalid input syntax for type integer: "someone@example.com"',
			'  DETAIL:  Key (email)=(someone@example.com) already exists.',
			'  CONTEXT:  COPY stg_users, line 2, column age: "someone@example.com"',
			'  Failing row contains (1, someone@example.com).',
		].join('\n');
		const out = redactErrorText(dbt);
		expect(out).not.toContain('someone@example.com');
		expect(out).toContain('Database Error in model stg_users');
		expect(out).toContain('Key (email)=(');
		expect(out).toContain('COPY stg_users, line 2, column age');
	});

	test('non-driver errors keep their message, minus URL passwords', () => {
		expect(safeErrorText(new Error('CSV has 1 rows but the extract recorded 10'))).toBe('CSV has 1 rows but the extract recorded 10');
		expect(safeErrorText(new Error('connect ECONNREFUSED at https://minio:s3cr3t@10.0.0.7:9000/bucket'))).toBe(
			'connect ECONNREFUSED at https://***@10.0.0.7:9000/bucket',
		);
		expect(safeErrorText('plain string')).toBe('plain string');
	});
});

describe('URL userinfo', () => {
	test('every URL in a text loses its userinfo; displayUrl masks credential query values too', () => {
		expect(redactUserinfo('a postgres://etl:pw@h:5432/db and http://key:sec@h/b')).toBe('a postgres://***@h:5432/db and http://***@h/b');
		expect(redactUserinfo('http://user:p%40ss@minio:9000')).toBe('http://***@minio:9000');
		expect(displayUrl('https://u:secret@fx.example/api?access_key=k&symbols=USD')).toBe('https://***@fx.example/api?access_key=***&symbols=USD');
		expect(displayUrl(new URL('https://geo.example/r?apiKey=k1&lat=1'))).toBe('https://geo.example/r?apiKey=***&lat=1');
		expect(displayUrl('http://minio:s3cr3t@127.0.0.1:9000')).toBe('http://***@127.0.0.1:9000');
		expect(displayUrl('http://127.0.0.1:9000')).toBe('http://127.0.0.1:9000');
	});
});

describe('errors that wrap a driver error carry only the sanitised text', () => {
	test('a failed push names the constraint, not the key value', () => {
		const cause = pgError({
			message: 'duplicate key value violates unique constraint "t_pkey"',
			code: '23505',
			constraint: 't_pkey',
			detail: 'Key (user_hash)=(ab12cd) already exists.',
		});
		const err = new PushFailedError('app.t', 7, cause);
		expect(err.message).toBe(
			`Push of app.t failed (run 7); analytics_db was left unchanged: duplicate key value violates unique constraint "t_pkey" [SQLSTATE 23505; constraint t_pkey] | Key (user_hash)=(${WITHHELD}) already exists.`,
		);
	});

	test('a Postgres host pasted as a URL loses its password in connection errors', () => {
		const conn = { host: 'postgres://etl:hunter2@db.internal', port: 5432, user: 'etl', database: 'dwh' };
		expect(describeConnectionError({ code: 'ECONNREFUSED' }, conn)).toBe(
			'Nothing is listening on postgres://***@db.internal:5432 — check Host and Port, and that the server is running.',
		);
		expect(describeConnectionError({ code: 'XX', message: 'bad url postgres://etl:hunter2@db.internal' }, conn)).not.toContain('hunter2');
	});
});
