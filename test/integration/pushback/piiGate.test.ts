import type { PushTargetInput } from '../../../src/pushback/target.schema';
import { createPushWorld, uniqueName, type PushWorld } from './world';

/** The PII scan from the Anonymise work runs on the source before anything is pushed; a finding blocks the push. */
describe('PII gate', () => {
	let w: PushWorld;
	const appRole = uniqueName('pii_app');
	const target = (table: string, over: Partial<PushTargetInput> = {}): PushTargetInput => ({
		source: { kind: 'relation', schema: 'marts', table },
		target: { schema: 'piitest', table },
		key: ['user_hash'],
		appRole,
		...over,
	});
	const userHash = (n: number) => n.toString(16).padStart(64, 'a');

	beforeAll(async () => {
		w = await createPushWorld('push_pii');
		await w.wh.query(`CREATE TABLE marts.summary_with_email_column (user_hash text PRIMARY KEY, email text, checkins int)`);
		await w.wh.query(`INSERT INTO marts.summary_with_email_column VALUES ($1, NULL, 3)`, [userHash(1)]);
		await w.wh.query(`CREATE TABLE marts.summary_with_leaky_content (user_hash text PRIMARY KEY, contact_hint text, checkins int)`);
		await w.wh.query(
			`INSERT INTO marts.summary_with_leaky_content SELECT lpad(to_hex(g), 64, 'b'), 'reach me on thandi' || g || '@example.co.za', g FROM generate_series(1, 20) g`,
		);
		await w.wh.query(`CREATE TABLE marts.clean_summary (user_hash text PRIMARY KEY, checkins_30d int, top_city text, age_band text)`);
		await w.wh.query(`INSERT INTO marts.clean_summary SELECT lpad(to_hex(g), 64, 'c'), g, 'Durban', '25-34' FROM generate_series(1, 20) g`);
		await w.wh.query(`CREATE TABLE marts.rates (user_hash text PRIMARY KEY, rate numeric)`);
		await w.wh.query(`INSERT INTO marts.rates SELECT lpad(to_hex(g), 64, 'd'), 18.123456 + g FROM generate_series(1, 10) g`);
	});
	afterAll(async () => w.close());

	test('a column whose name looks like PII blocks the push with an error naming table, column and detector', async () => {
		const err = await w.push(target('summary_with_email_column')).catch((e: Error) => e);
		expect(err).toBeInstanceOf(Error);
		expect((err as Error).message).toBe(
			'PII check blocked the push of piitest.summary_with_email_column: marts.summary_with_email_column.email: column name looks like email. ' +
				'Nothing was pushed. Direct identifiers can never be pushed back: hash or drop the column in the mart.',
		);
		const t = await w.an.query(`SELECT to_regnamespace('piitest')::text AS s`);
		expect(t.rows[0].s).toBeNull();
		const run = await w.wh.query(`SELECT status, error_message FROM dwh_control.push_runs WHERE target_name = 'piitest.summary_with_email_column'`);
		expect(run.rows).toEqual([{ status: 'failed', error_message: expect.stringContaining('summary_with_email_column.email: column name looks like email') }]);
	});

	test('content that looks like PII under a harmless name blocks too, without the value in the error', async () => {
		const err = (await w.push(target('summary_with_leaky_content')).catch((e: Error) => e)) as Error;
		expect(err.message).toContain('marts.summary_with_leaky_content.contact_hint: email in 20 sampled values');
		expect(err.message).not.toContain('thandi');
		const run = await w.wh.query(`SELECT error_message FROM dwh_control.push_runs WHERE target_name = 'piitest.summary_with_leaky_content'`);
		expect(run.rows[0].error_message).not.toContain('thandi');
	});

	test('a query source is scanned too: a PII column introduced by the query blocks', async () => {
		const t = target('clean_summary', {
			source: { kind: 'query', sql: `SELECT user_hash, checkins_30d, '0821234567' AS reach FROM marts.clean_summary` },
			target: { schema: 'piitest', table: 'from_query' },
		});
		await expect(w.push(t)).rejects.toThrow('PII check blocked the push of piitest.from_query: (source query).reach: phone_za in 20 sampled values');
	});

	test('a per-user summary whose source holds no direct identifier is pushed', async () => {
		expect(await w.push(target('clean_summary'))).toMatchObject({ status: 'pushed', inserted: 20 });
	});

	test('a reviewed column can be waived for a non-direct finding, never for a direct identifier', async () => {
		await expect(w.push(target('rates'))).rejects.toThrow('marts.rates.rate: gps_precise in 10 sampled values');
		expect(await w.push(target('rates', { piiAllowColumns: ['rate'] }))).toMatchObject({ status: 'pushed', inserted: 10 });
		await expect(w.push(target('summary_with_email_column', { piiAllowColumns: ['email'] }))).rejects.toThrow(/column name looks like email/);
	});
});
