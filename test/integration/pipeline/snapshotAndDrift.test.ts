import { extractDueTables } from '../../../src/extract/extractDue';
import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

let w: World;

async function extractAndLoad(table: string) {
	const ex = await extractTable(w.ctx, table);
	if (ex.status !== 'uploaded') return { ex, ld: null };
	return { ex, ld: await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! }) };
}

beforeAll(async () => {
	w = await createWorld('snapdrift');
});
afterAll(() => w.close());

test('snapshot tables are replaced atomically: changed rows updated, vanished rows deleted, counts recorded', async () => {
	await w.src.query(`CREATE TABLE public.points_of_interest (id bigint PRIMARY KEY, name text, city text, meta json)`);
	await w.src.query(
		`INSERT INTO public.points_of_interest VALUES (1, 'Vilakazi St', 'Soweto', '{"a":1}'), (2, 'V&A Waterfront', 'Cape Town', null), (3, 'uShaka', 'Durban', '[]')`,
	);
	const table = await w.register({ source_table: 'points_of_interest', mode: 'snapshot', load_strategy: 'replace', key_columns: ['id'], cadence: '1 hour' });
	const first = await extractAndLoad(table);
	expect(first.ex.window.upperCappedBy).toBe('snapshot');
	expect(first.ld).toMatchObject({ rowsInserted: 3, rowsUpdated: 0, rowsDeleted: 0 });

	await w.src.query(`UPDATE public.points_of_interest SET city = 'Johannesburg' WHERE id = 1`);
	await w.src.query(`DELETE FROM public.points_of_interest WHERE id = 2`);
	await w.src.query(`INSERT INTO public.points_of_interest VALUES (4, 'Union Buildings', 'Pretoria', '{}')`);
	const second = await extractAndLoad(table);
	expect(second.ld).toMatchObject({ rowsInCsv: 3, rowsInserted: 1, rowsUpdated: 1, rowsUnchanged: 1, rowsDeleted: 1 });
	expect(await w.bronzeRows(table, 'city')).toEqual([
		{ id: 1, city: 'Johannesburg' },
		{ id: 3, city: 'Durban' },
		{ id: 4, city: 'Pretoria' },
	]);
});

test('schema drift: a new nullable source column is added to bronze under add_nullable_columns', async () => {
	await w.src.query(`CREATE TABLE public.users (id bigint PRIMARY KEY, email text, updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.users (id, email) VALUES (1, 'a@x.co.za')`);
	const table = await w.register(incremental('upsert', 'users', 'updated_at', '15 minutes', { schema_drift_policy: 'add_nullable_columns' }));
	await extractAndLoad(table);
	await w.src.query(`ALTER TABLE public.users ADD COLUMN province text`);
	await w.src.query(`INSERT INTO public.users (id, email, province) VALUES (2, 'b@x.co.za', 'Gauteng')`);
	const { ex, ld } = await extractAndLoad(table);
	expect(ex.message).toMatch(/bronze gained column\(s\) province/);
	expect(ld?.rowsInserted).toBe(1);
	expect(await w.bronzeRows(table, 'province')).toEqual([
		{ id: 1, province: null },
		{ id: 2, province: 'Gauteng' },
	]);
});

test('schema drift under policy fail stops the run and names the columns; a type change always stops it', async () => {
	await w.src.query(`CREATE TABLE public.sessions (id bigint PRIMARY KEY, device text, created_at timestamptz NOT NULL DEFAULT now())`);
	const table = await w.register(incremental('append', 'sessions', 'created_at', '15 minutes', { schema_drift_policy: 'fail' }));
	await extractAndLoad(table);
	await w.src.query(`ALTER TABLE public.sessions ADD COLUMN ip inet, ADD COLUMN user_agent text`);
	const failed = await extractTable(w.ctx, table);
	expect(failed.status).toBe('failed');
	expect(failed.message).toBe(
		`Schema drift on ${w.source.database}.public.sessions (policy 'fail'): new in source: ip inet, user_agent text. Update raw.${table} by hand, or set schema_drift_policy to 'add_nullable_columns' in the registry.`,
	);
	await w.src.query(`ALTER TABLE public.sessions DROP COLUMN ip, DROP COLUMN user_agent, ALTER COLUMN device TYPE varchar(20)`);
	const retyped = await extractTable(w.ctx, table);
	expect(retyped.message).toMatch(/column type changed for device \(source character varying\(20\), bronze text\)/);
});

test('excluded columns never leave the source (message content, design doc §6.5)', async () => {
	await w.src.query(`CREATE TABLE public.messages (id bigint PRIMARY KEY, conversation_id bigint, body text, created_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.messages (id, conversation_id, body) VALUES (1, 10, 'secret love letter')`);
	const table = await w.register(incremental('append', 'messages', 'created_at', '1 hour', { excluded_columns: ['body'] }));
	await extractAndLoad(table);
	const cols = await w.wh.query(
		`SELECT array_agg(column_name::text ORDER BY ordinal_position) AS c FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = $1`,
		[table],
	);
	expect(cols.rows[0].c).toEqual(['id', 'conversation_id', 'created_at', '_dwh_run_id', '_dwh_loaded_at']);
});

test('"all tables due now" extracts each due table once and a failing table does not stop the others', async () => {
	await w.src.query(`CREATE TABLE public.tags (id bigint PRIMARY KEY, label text, created_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.tags (id, label) VALUES (1, 'braai')`);
	const tags = await w.register(incremental('append', 'tags', 'created_at', '1 hour'));
	const ghost = await w.register(incremental('append', 'no_such_table', 'created_at', '1 hour'));
	const results = await extractDueTables(w.ctx);
	const byTable = Object.fromEntries(results.map((r) => [r.table, r]));
	expect(byTable[tags].status).toBe('uploaded');
	expect(byTable[ghost].status).toBe('failed');
	expect(byTable[ghost].message).toMatch(/not found/);
	// Tables loaded moments ago by the tests above are not due again (cadence not elapsed).
	const due = results.map((r) => r.table);
	expect(due).not.toContain(`${w.source.database}__users`);
	await loadBronze(w.ctx, { table: tags, runId: byTable[tags].runId!, csvPath: byTable[tags].csvPath! });
	const again = await extractDueTables(w.ctx, { only: [tags] });
	expect(again).toEqual([]);
});
