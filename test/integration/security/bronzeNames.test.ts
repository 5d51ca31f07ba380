import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { openPipelineContext } from '../../../src/pipeline/context';
import { createWorld, type World } from '../pipeline/world';
import { incremental } from '../../harness/registerTable';

/**
 * Live source column names are input: vetted against the identifier rule and the bookkeeping columns before any
 * bronze DDL. A new bronze table commits with its first successful extract or not at all. Extracts run as a
 * login of the ETL role.
 */
let w: World;

const bronzeExists = async (table: string) => (await w.wh.query(`SELECT to_regclass($1) IS NOT NULL AS e`, [`raw.${table}`])).rows[0].e as boolean;
const runOf = async (runId: number | null) =>
	(await w.wh.query(`SELECT status, error_message FROM dwh_control.extract_runs WHERE run_id = $1`, [runId])).rows[0];

beforeAll(async () => {
	// w.ctx runs as a login of dwh_etl, as the nodes do.
	w = await createWorld('bronze_names');
});
afterAll(async () => {
	await w?.close();
});

test('a source column named like a bookkeeping column is refused naming it and the fix; excluding it works', async () => {
	await w.src.query(`CREATE TABLE public.imports (id bigint PRIMARY KEY, _dwh_run_id bigint, note text, created_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.imports (id, _dwh_run_id, note) VALUES (1, 99, 'a'), (2, 98, 'b')`);
	const table = await w.register(incremental('upsert', 'imports', 'created_at', '5 minutes'));

	const refused = await extractTable(w.ctx, table);
	expect(refused.status).toBe('failed');
	expect(refused.message).toBe(
		`Source table ${w.source.database}.public.imports cannot be copied to bronze: column _dwh_run_id collides with the bookkeeping columns bronze adds (_dwh_*): ` +
			'add "_dwh_run_id" to excluded_columns in the registry, or rename it in the source. Nothing was extracted.',
	);
	expect((await runOf(refused.runId)).error_message).toBe(refused.message);
	expect(await bronzeExists(table)).toBe(false);

	await w.wh.query(`UPDATE dwh_control.source_tables SET excluded_columns = '{_dwh_run_id}' WHERE table_name = $1`, [table]);
	const ok = await extractTable(w.ctx, table);
	expect(ok.status).toBe('uploaded');
	expect((await loadBronze(w.ctx, { table, runId: ok.runId!, csvPath: ok.csvPath! })).rowsInserted).toBe(2);
	expect((await w.wh.query(`SELECT count(DISTINCT _dwh_run_id)::int AS n, min(_dwh_run_id) AS r FROM raw.${table}`)).rows[0]).toEqual({
		n: 1,
		r: String(ok.runId),
	});
});

test('column names that are not lower-case identifiers are refused, each named', async () => {
	await w.src.query(
		`CREATE TABLE public.contacts (id bigint PRIMARY KEY, "Email Address" text, "x""; DROP TABLE raw.y; --" text, created_at timestamptz NOT NULL DEFAULT now())`,
	);
	const table = await w.register(incremental('upsert', 'contacts', 'created_at', '5 minutes'));
	const refused = await extractTable(w.ctx, table);
	expect(refused.status).toBe('failed');
	expect(refused.message).toContain('column "Email Address" is not a lower-case SQL identifier');
	expect(refused.message).toContain('column "x\\"; DROP TABLE raw.y; --" is not a lower-case SQL identifier');
	expect(refused.message).toContain('rename it in the source, or register a view that selects it under such a name as source_table');
	expect(await bronzeExists(table)).toBe(false);
});

test('a failed first extract leaves no bronze table; the next one creates it with its upload', async () => {
	await w.src.query(`CREATE TABLE public.orders (id bigint PRIMARY KEY, amount numeric(12,2), created_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.orders (id, amount) SELECT g, g FROM generate_series(1, 50) g`);
	const table = await w.register(incremental('append', 'orders', 'created_at', '5 minutes'));

	// The upload fails (the bucket is gone), after the source COPY started and the DDL ran.
	const broken = openPipelineContext({
		source: w.source,
		warehouse: w.warehouse,
		store: { ...w.ctx.store.cfg, bucket: 'no-such-bucket-for-orders' },
		exportTimezone: 'Africa/Johannesburg',
	});
	try {
		const failed = await extractTable(broken, table);
		expect(failed.status).toBe('failed');
		expect(await runOf(failed.runId)).toMatchObject({ status: 'failed' });
	} finally {
		await broken.close();
	}
	expect(await bronzeExists(table)).toBe(false);

	const ok = await extractTable(w.ctx, table);
	expect(ok).toMatchObject({ status: 'uploaded', rows: 50 });
	expect(await bronzeExists(table)).toBe(true);
	expect((await loadBronze(w.ctx, { table, runId: ok.runId!, csvPath: ok.csvPath! })).rowsInserted).toBe(50);
});
