import { PutObjectCommand } from '@aws-sdk/client-s3';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { anonymiseRelation } from '../../../src/anonymise/runner';
import { createLogin, type Login } from '../../harness/loginRole';
import { createAnonWorld, loadRaw } from '../anonymise/world';
import { createWorld, type World } from '../pipeline/world';
import { incremental } from '../../harness/registerTable';

/**
 * Data errors quote row values; the run log, v_recent_failures and v_pipeline_alerts are what dashboards
 * (dwh_readonly) read. Read back as a dwh_readonly login: the values are gone, the diagnosis is not.
 */
const PII = 'thandi.nkosi@example.co.za';

let w: World;
let table: string;
let reader: Login;

const put = (key: string, body: string) => w.ctx.store.client.send(new PutObjectCommand({ Bucket: w.ctx.store.cfg.bucket, Key: key, Body: body }));
const readable = async (runId: number) => {
	const q = async (sql: string) => JSON.stringify((await reader.pool.query(sql, [runId])).rows);
	return {
		run: (await reader.pool.query(`SELECT error_message FROM dwh_control.extract_runs WHERE run_id = $1`, [runId])).rows[0].error_message as string,
		all: [
			await q(`SELECT * FROM dwh_control.extract_runs WHERE run_id = $1`),
			await q(`SELECT * FROM dwh_control.v_recent_failures WHERE run_id = $1`),
			await q(`SELECT * FROM dwh_control.v_pipeline_alerts WHERE $1::bigint IS NOT NULL`),
		].join('\n'),
	};
};

beforeAll(async () => {
	w = await createWorld('runlog_errors');
	await w.src.query(`CREATE TABLE public.members (id bigint PRIMARY KEY, email text NOT NULL, age integer, created_at timestamptz NOT NULL DEFAULT now())`);
	table = await w.register(incremental('upsert', 'members', 'created_at', '5 minutes'));
	reader = await createLogin(w.warehouse.database, ['dwh_readonly'], 'dashboard');
	// Extract and load run as the ETL login, as the nodes do: w.ctx is a login of dwh_etl.
});
afterAll(async () => {
	await reader?.drop();
	await w?.close();
});

test('a PII value in a wrong-typed CSV column: the run log names SQLSTATE, column and line, never the value', async () => {
	await w.src.query(`INSERT INTO public.members (id, email, age) VALUES (1, 'a@example.com', 30), (2, 'b@example.com', 41)`);
	const ex = await extractTable(w.ctx, table);
	const columns = (await w.wh.query<{ columns: string[] }>(`SELECT columns FROM dwh_control.extract_runs WHERE run_id = $1`, [ex.runId])).rows[0].columns;
	const header = columns.join(',');
	const at = (id: number, email: string, age: string) =>
		columns.map((c) => ({ id: String(id), email, age, created_at: '2026-01-01 00:00:00+00' }[c as 'id'] ?? '')).join(',');
	// An edited CSV (or a source column that changed type): the email landed in the integer column on CSV line 3.
	await put(w.ctx.store.parseCsvPath(table, ex.csvPath!), `${header}\n${at(1, 'a@example.com', '30')}\n${at(2, 'b@example.com', PII)}\n`);

	const err = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! }).catch((e: Error) => e);
	expect(err).toBeInstanceOf(Error);
	expect((err as Error).message).not.toContain(PII);
	expect((err as Error).message).toContain('invalid input syntax for type integer');

	const seen = await readable(ex.runId!);
	expect(seen.all).not.toContain(PII);
	expect(seen.all).not.toContain('thandi');
	expect(seen.run).toMatch(/invalid input syntax for type integer: <value withheld> \[SQLSTATE 22P02\]/);
	expect(seen.run).toMatch(/line 3, column age/);
	expect(seen.all).toContain('line 3, column age'); // v_recent_failures / v_pipeline_alerts carry the diagnosis too
});

test('a key collision on a unique email index: the run log names the constraint and column, never the key value', async () => {
	// Load the original rows properly first, then let a DBA-added unique index on email meet a duplicate.
	await w.src.query(`DELETE FROM public.members`);
	await w.src.query(`INSERT INTO public.members (id, email, age) VALUES (10, $1, 30)`, [PII]);
	const first = await extractTable(w.ctx, table);
	await loadBronze(w.ctx, { table, runId: first.runId!, csvPath: first.csvPath! });
	await w.wh.query(`CREATE UNIQUE INDEX members_email_uq ON raw.${table} (email)`);
	await w.src.query(`INSERT INTO public.members (id, email, age) VALUES (11, $1, 31)`, [PII]);
	const second = await extractTable(w.ctx, table);

	const err = await loadBronze(w.ctx, { table, runId: second.runId!, csvPath: second.csvPath! }).catch((e: Error) => e);
	expect((err as Error).message).toContain('duplicate key value violates unique constraint "members_email_uq"');
	expect((err as Error).message).not.toContain(PII);

	const seen = await readable(second.runId!);
	expect(seen.all).not.toContain(PII);
	expect(seen.run).toContain('[SQLSTATE 23505; constraint members_email_uq] | Key (email)=(<value withheld>) already exists.');
	expect((await w.wh.query(`SELECT status FROM dwh_control.extract_runs WHERE run_id = $1`, [second.runId])).rows[0].status).toBe('failed');
});

test('dwh_readonly still cannot read the bronze row the errors came from', async () => {
	await expect(reader.pool.query(`SELECT email FROM raw.${table}`)).rejects.toMatchObject({ code: '42501' });
});

test('an Anonymise build that fails on a PII value: anonymise_runs and v_pipeline_alerts hold the type and SQLSTATE, not the value', async () => {
	const a = await createAnonWorld('runlog_anon');
	const dash = await createLogin(a.whConn.database, ['dwh_readonly'], 'dashboard_anon');
	try {
		// A date of birth column that arrived as text, holding an e-mail address: the age_band cast fails on it.
		await loadRaw(
			a.wh,
			'auth_db',
			'users',
			`id bigint PRIMARY KEY, first_name text NOT NULL, last_name text NOT NULL, email text NOT NULL, phone_e164 text NOT NULL, sa_id_number char(13),
			 date_of_birth text, gender text, home_city text, province text, country text, marketing_opt_in boolean NOT NULL DEFAULT false, status text NOT NULL DEFAULT 'active',
			 created_at timestamptz NOT NULL, updated_at timestamptz NOT NULL`,
			[
				{
					id: 1,
					first_name: 'Thandi',
					last_name: 'Nkosi',
					email: PII,
					phone_e164: '+27821234567',
					sa_id_number: null,
					date_of_birth: PII,
					marketing_opt_in: false,
					status: 'active',
					created_at: '2026-11-01T00:00:00Z',
					updated_at: '2026-11-01T00:00:00Z',
				},
			],
		);
		await expect(anonymiseRelation(a.deps, { policy: a.policy('auth_db'), table: 'users' })).rejects.toThrow(/invalid input syntax for type date/);
		const { rows } = await dash.pool.query(`SELECT status, error_message FROM dwh_control.anonymise_runs`);
		expect(rows).toEqual([
			{ status: 'failed', error_message: expect.stringMatching(/^invalid input syntax for type date: <value withheld> \[SQLSTATE 22007\]/) },
		]);
		const alerts = JSON.stringify((await dash.pool.query(`SELECT * FROM dwh_control.v_pipeline_alerts`)).rows);
		expect(alerts).toContain('anonymise_failed');
		expect(alerts + JSON.stringify(rows)).not.toContain(PII);
	} finally {
		await dash.drop();
		await a.close();
	}
});
