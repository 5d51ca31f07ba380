import pg from 'pg';
import { enforceKAnonymity, kAnonymityReport } from '../../../src/privacy/kAnonymity';
import { describeFindings, scanRelationForPii } from '../../../src/privacy/piiScan';
import { ParameterLoggingError, suppressParameterLogging } from '../../../src/anonymise/logSafety';
import { createPool } from '../../../src/transport/postgres';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { adminConnection, dropDatabase, freshDatabase } from '../../harness/testEnv';

let db: pg.Pool;
let name: string;

beforeAll(async () => {
	const conn = postgresConnectionSchema.parse(await freshDatabase('anon_privacy'));
	name = conn.database;
	db = createPool(conn);
	await db.query(`CREATE SCHEMA m;
		CREATE TABLE m.people (id int, contact text, note text, fx_rate numeric, lat numeric, city text, age_band text, day date, user_hash text, users int);
		INSERT INTO m.people
		SELECT g, CASE WHEN g % 10 = 0 THEN 'thabo' || g || '@example.co.za' ELSE 'n/a' END,
		       CASE WHEN g = 7 THEN 'ID 8001015009087' ELSE 'ok' END,
		       18.123456, -26.2, CASE WHEN g <= 40 THEN 'Johannesburg' WHEN g <= 48 THEN 'Durban' ELSE 'Kimberley' END,
		       CASE WHEN g % 2 = 0 THEN '25-34' ELSE '35-44' END, DATE '2026-11-01', 'h' || (g % 45), 1
		  FROM generate_series(1, 50) g;`);
});
afterAll(async () => {
	await db?.end();
	if (name) await dropDatabase(name);
});

describe('scanRelationForPii', () => {
	test('names columns and detectors with counts, never values', async () => {
		const f = await scanRelationForPii(db, { schema: 'm', table: 'people' });
		expect(f).toEqual(
			expect.arrayContaining([
				{ table: 'm.people', column: 'contact', detector: 'email', kind: 'content', sampleCount: 5, rowsSampled: 50, rowsTotal: 50 },
				{ table: 'm.people', column: 'note', detector: 'sa_id_number', kind: 'content', sampleCount: 1, rowsSampled: 50, rowsTotal: 50 },
				{ table: 'm.people', column: 'note', detector: 'free_text', kind: 'column_name', sampleCount: 0 },
				{ table: 'm.people', column: 'lat', detector: 'gps', kind: 'column_name', sampleCount: 0 },
				{ table: 'm.people', column: 'fx_rate', detector: 'gps_precise', kind: 'content', sampleCount: 50, rowsSampled: 50, rowsTotal: 50 },
			]),
		);
		expect(f).toHaveLength(5);
		expect(describeFindings(f)).not.toContain('@example');
		expect(describeFindings(f)).not.toContain('8001015009087');
		expect(describeFindings(f)).toContain('m.people.contact: email in 5 sampled values (read all 50 rows)');
	});

	test('allowColumns and a bounded sample', async () => {
		expect(await scanRelationForPii(db, { schema: 'm', table: 'people' }, { allowColumns: ['contact', 'note', 'lat', 'fx_rate'] })).toEqual([]);
		const few = await scanRelationForPii(db, { schema: 'm', table: 'people' }, { sampleRows: 5, allowColumns: ['lat', 'note'] });
		expect(few.find((x) => x.column === 'fx_rate')).toMatchObject({ sampleCount: 5, rowsSampled: 5 });
		await expect(scanRelationForPii(db, { schema: 'm', table: 'nope' })).rejects.toThrow('PII check: relation m.nope does not exist');
	});

	test('a large table is sampled through TABLESAMPLE and still finds the leak', async () => {
		await db.query(`CREATE TABLE m.big AS SELECT g AS id, 'user' || g || '@example.com' AS contact FROM generate_series(1, 60000) g; ANALYZE m.big`);
		const f = await scanRelationForPii(db, { schema: 'm', table: 'big' }, { sampleRows: 1000 });
		const hit = f.find((x) => x.detector === 'email' && x.kind === 'content')!;
		expect(hit.sampleCount).toBeGreaterThan(0);
		expect(hit.sampleCount).toBeLessThanOrEqual(1000);
		// The finding says it was a sample, and of how much.
		expect(hit.rowsTotal).toBe(60000);
		expect(hit.rowsSampled).toBeLessThanOrEqual(1000);
		expect(describeFindings([hit])).toMatch(/^m\.big\.contact: email in \d+ sampled values \(read \d+ of ~60000 rows\)$/);
	});
});

describe('k-anonymity', () => {
	test('report gives the smallest group and what sits below k', async () => {
		const r = await kAnonymityReport(db, { schema: 'm', table: 'people' }, ['city', 'age_band'], 5);
		// Johannesburg 20+20, Durban 4+4, Kimberley 1+1
		expect(r).toEqual({
			relation: 'm.people',
			quasiIdentifiers: ['city', 'age_band'],
			k: 5,
			totalRows: 50,
			groups: 6,
			smallestGroup: 1,
			groupsBelowK: 4,
			rowsInGroupsBelowK: 10,
			satisfied: false,
		});
		const distinct = await kAnonymityReport(db, { schema: 'm', table: 'people' }, ['day'], 46, { distinctColumn: 'user_hash' });
		expect(distinct).toMatchObject({ groups: 1, smallestGroup: 45, satisfied: false });
		const summed = await kAnonymityReport(db, { schema: 'm', table: 'people' }, ['city'], 5, { countColumn: 'users' });
		expect(summed).toMatchObject({ smallestGroup: 2, groupsBelowK: 1, rowsInGroupsBelowK: 2 });
		await expect(kAnonymityReport(db, { schema: 'm', table: 'people' }, [], 5)).rejects.toThrow('at least one quasi-identifier');
		await expect(kAnonymityReport(db, { schema: 'm', table: 'people' }, ['city; drop table x'], 5)).rejects.toThrow('is not a valid lower-case SQL identifier');
	});

	test('generalise merges small groups into "any", then suppresses what is still below k', async () => {
		await db.query('CREATE TABLE m.g AS SELECT * FROM m.people');
		const r = await enforceKAnonymity(db, { schema: 'm', table: 'g' }, ['city', 'age_band'], 5, { strategy: 'generalise', columns: ['age_band'] });
		// Durban (4+4) merges to 8 with age_band NULL; Kimberley (1+1) merges to 2 and is suppressed.
		expect(r).toMatchObject({ generalisedRows: 10, suppressedRows: 2 });
		expect(r.after).toMatchObject({ satisfied: true, smallestGroup: 8, totalRows: 48 });
		const { rows } = await db.query(`SELECT city, age_band, count(*)::int AS n FROM m.g GROUP BY 1, 2 ORDER BY 1, 2`);
		expect(rows).toEqual([
			{ city: 'Durban', age_band: null, n: 8 },
			{ city: 'Johannesburg', age_band: '25-34', n: 20 },
			{ city: 'Johannesburg', age_band: '35-44', n: 20 },
		]);
	});

	test('suppress deletes every row of a small group in one transaction', async () => {
		await db.query('CREATE TABLE m.s AS SELECT * FROM m.people');
		const r = await enforceKAnonymity(db, { schema: 'm', table: 's' }, ['city', 'age_band'], 5);
		expect(r).toMatchObject({ generalisedRows: 0, suppressedRows: 10, after: { satisfied: true, totalRows: 40 } });
	});
});

describe('parameter log safety', () => {
	test('a superuser switches parameter logging off; a plain login with statement logging on is refused with the DBA fix', async () => {
		const c = await db.connect();
		try {
			await c.query('BEGIN');
			expect(await suppressParameterLogging(c)).toEqual({ suppressed: true, how: 'set_local', problems: [] });
			const { rows } = await c.query(`SELECT current_setting('log_parameter_max_length') AS a, current_setting('log_parameter_max_length_on_error') AS b`);
			expect(rows[0]).toEqual({ a: '0', b: '0' });
			await c.query('ROLLBACK');
		} finally {
			c.release();
		}
		const role = `anon_etl_${name.slice(-6)}`;
		await db.query(`CREATE ROLE ${role} LOGIN PASSWORD 'x-test-only'`);
		const admin = adminConnection(name);
		const check = async () => {
			const plain = new pg.Client({ host: admin.host, port: admin.port, database: name, user: role, password: 'x-test-only' });
			await plain.connect();
			try {
				await plain.query('BEGIN');
				return await suppressParameterLogging(plain as unknown as pg.PoolClient);
			} finally {
				await plain.end();
			}
		};
		try {
			await db.query(`ALTER ROLE ${role} SET log_min_duration_statement = 0`);
			const err = await check().catch((e) => e);
			expect(err).toBeInstanceOf(ParameterLoggingError);
			expect(err.message).toContain('log_parameter_max_length = -1 (statements are logged with their parameters: log_min_duration_statement = 0)');
			expect(err.message).toContain('ALTER ROLE <this login> SET log_parameter_max_length = 0');
			// The DBA's fix: parameters are cut to zero length for this login.
			await db.query(`ALTER ROLE ${role} SET log_parameter_max_length = 0`);
			expect(await check()).toEqual({ suppressed: true, how: 'checked', problems: [] });
			// No statement logging at all is safe too.
			await db.query(`ALTER ROLE ${role} RESET ALL`);
			expect(await check()).toEqual({ suppressed: true, how: 'checked', problems: [] });
		} finally {
			await db.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
		}
	});
});
