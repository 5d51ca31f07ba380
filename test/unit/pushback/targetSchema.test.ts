import { isPerUserTarget, parsePushTarget, PushTargetConfigError } from '../../../src/pushback/target.schema';

const base = {
	source: { kind: 'relation', schema: 'marts', table: 'agg_x' },
	target: { schema: 'tagme', table: 'user_summary' },
	key: ['user_hash'],
	appRole: 'tagme_app',
};

test('defaults: mirror mode, no k gate, name = schema.table', () => {
	const t = parsePushTarget(base);
	expect(t).toMatchObject({ name: 'tagme.user_summary', mode: 'mirror', kAnonymity: null, piiAllowColumns: [], description: '' });
});

test('k defaults to 5 and must be at least 2', () => {
	expect(parsePushTarget({ ...base, kAnonymity: { groupSizeColumn: 'users' } }).kAnonymity).toEqual({ groupSizeColumn: 'users', k: 5 });
	expect(() => parsePushTarget({ ...base, kAnonymity: { groupSizeColumn: 'users', k: 1 } })).toThrow('kAnonymity.k: kAnonymity.k must be at least 2');
});

test('a query source loses its trailing semicolon and must not be empty', () => {
	const t = parsePushTarget({ ...base, source: { kind: 'query', sql: '  SELECT 1 AS user_hash ;  ' } });
	expect(t.source).toEqual({ kind: 'query', sql: 'SELECT 1 AS user_hash' });
	expect(() => parsePushTarget({ ...base, source: { kind: 'query', sql: ' ; ' } })).toThrow('source.sql: source.sql must be one SELECT over marts.*');
});

test.each([
	[{ target: { schema: 'Tagme', table: 'x' } }, 'target.schema: target.schema must be a lower-case SQL identifier'],
	[{ target: { schema: 'tagme"; drop schema marts cascade; --', table: 'x' } }, 'target.schema: target.schema must be a lower-case SQL identifier'],
	[{ target: { schema: 'information_schema', table: 'x' } }, 'target.schema: target.schema must be an app schema'],
	[{ target: { schema: 'pg_temp', table: 'x' } }, 'target.schema: target.schema must be an app schema'],
	[{ target: { schema: 'dwh_control', table: 'x' } }, 'target.schema: target.schema must be an app schema'],
	[{ target: { schema: 'tagme', table: 'a'.repeat(64) } }, 'target.table: target.table must be a lower-case SQL identifier'],
	[{ key: [] }, 'key: key needs at least one column'],
	[{ key: ['user_hash', 'user_hash'] }, 'key.1: key column user_hash is listed twice'],
	[{ appRole: 'pg_read_all_data' }, "appRole: appRole must be the app's own role"],
	[{ mode: 'replace' }, "mode: Invalid enum value. Expected 'mirror' | 'upsert'"],
	[{ surprise: true }, "Unrecognized key(s) in object: 'surprise'"],
])('rejects %j with a message naming the field', (over, message) => {
	let err: unknown;
	try {
		parsePushTarget({ ...base, ...over });
	} catch (e) {
		err = e;
	}
	expect(err).toBeInstanceOf(PushTargetConfigError);
	expect((err as Error).message).toContain(message);
});

test('per-user targets are the ones keyed by a user hash', () => {
	expect(isPerUserTarget({ key: ['user_hash'] })).toBe(true);
	expect(isPerUserTarget({ key: ['funnel_id', 'user_hash'] })).toBe(true);
	expect(isPerUserTarget({ key: ['category'] })).toBe(false);
});
