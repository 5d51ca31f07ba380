import { extractTable } from '../../../src/extract/extractTable';
import { loadBronze } from '../../../src/load/loadBronze';
import { extractAndLoadTable } from '../../../src/pipeline/extractAndLoad';
import { createWorld, type World } from './world';
import { incremental } from '../../harness/registerTable';

let w: World;
let table: string;

const COLUMNS = 'id, note, amount, happened_at, local_at, day, payload, raw_bytes, tags, scores, flag, ratio, price_zar';

beforeAll(async () => {
	w = await createWorld('csvfid');
	await w.src.query(`CREATE TYPE public.kyc_level AS ENUM ('none', 'basic', 'full')`);
	await w.src.query(`CREATE TABLE public.kyc_records (
		id bigint PRIMARY KEY, note text, amount numeric(38,10), happened_at timestamptz, local_at timestamp, day date,
		payload jsonb, raw_bytes bytea, tags text[], scores int[], flag boolean, ratio double precision, price_zar money,
		level public.kyc_level, updated_at timestamptz NOT NULL DEFAULT now())`);
	await w.src.query(`INSERT INTO public.kyc_records VALUES
		(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, DEFAULT),
		(2, '', 0, '2026-01-01 00:00:00.000001+00', '2026-01-01 12:34:56.789012', '2024-02-29', '{}', '\\x', '{}', '{}', false, 0, 0, 'none', DEFAULT),
		(3, E'Ndlovu, Thandi "TK"\\nSoweto ✓ 日本 🇿🇦', 1234567890123456789012345678.0123456789, '2026-11-24 23:59:59.999999+02', '1999-12-31 23:59:59.5', '2000-01-01',
		 '{"name": "Sipho, \\"SK\\"", "nested": {"a": [1, 2.5, null]}, "emoji": "🇿🇦"}', '\\xdeadbeef00ff', ARRAY['a,b', 'c"d', E'e\\nf', NULL, ''], ARRAY[1, NULL, 3], true, 1.0e-300, 12.34, 'full', DEFAULT),
		(4, E'line1\\r\\nline2\\\\N', -0.0000000001, 'infinity', '-infinity', '1970-01-01', 'null', '\\x5c4e', ARRAY['\\N'], NULL, NULL, 'NaN', -5, 'basic', DEFAULT)`);
	table = await w.register(incremental('upsert', 'kyc_records', 'updated_at', '15 minutes'));
});
afterAll(() => w.close());

test('every value survives source → CSV → bronze exactly (NULL vs empty, quotes, newlines, unicode, numeric(38,10), jsonb, bytea, arrays)', async () => {
	const ex = await extractTable(w.ctx, table);
	expect(ex.rows).toBe(4);
	const ld = await loadBronze(w.ctx, { table, runId: ex.runId!, csvPath: ex.csvPath! });
	expect(ld.rowsInserted).toBe(4);

	const q = `SELECT ${COLUMNS}, level::text AS level FROM %s ORDER BY id`;
	const source = await w.src.query({ text: q.replace('%s', 'public.kyc_records'), rowMode: 'array' });
	const bronze = await w.wh.query({ text: q.replace('%s', `raw.${table}`), rowMode: 'array' });
	expect(bronze.rows).toEqual(source.rows);
	// Spot-check the cases that break naive CSV handling.
	expect(bronze.rows[0][1]).toBeNull();
	expect(bronze.rows[1][1]).toBe('');
	expect(bronze.rows[2][1]).toBe('Ndlovu, Thandi "TK"\nSoweto ✓ 日本 🇿🇦');
	expect(bronze.rows[2][2]).toBe('1234567890123456789012345678.0123456789');
	expect(bronze.rows[3][1]).toBe('line1\r\nline2\\N');

	const types = await w.wh.query(
		`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'raw' AND table_name = $1 AND column_name IN ('amount', 'payload', 'level', 'tags') ORDER BY 1`,
		[table],
	);
	expect(types.rows).toEqual([
		{ column_name: 'amount', data_type: 'numeric' },
		{ column_name: 'level', data_type: 'text' }, // enums live in the source only; bronze keeps the label
		{ column_name: 'payload', data_type: 'jsonb' },
		{ column_name: 'tags', data_type: 'ARRAY' },
	]);
});

test('loaded while extracted, every value survives the same way, and the stored CSV is the one the two-step path would load', async () => {
	await w.src.query(`CREATE TABLE public.kyc_copy AS SELECT * FROM public.kyc_records`);
	await w.src.query(`ALTER TABLE public.kyc_copy ADD PRIMARY KEY (id)`);
	const copy = await w.register(incremental('upsert', 'kyc_copy', 'updated_at', '15 minutes'));
	const r = await extractAndLoadTable(w.ctx, copy);
	expect(r.load).toMatchObject({ status: 'loaded', rowsInserted: 4 });
	const q = `SELECT ${COLUMNS}, level::text AS level FROM %s ORDER BY id`;
	const source = await w.src.query({ text: q.replace('%s', 'public.kyc_copy'), rowMode: 'array' });
	const bronze = await w.wh.query({ text: q.replace('%s', `raw.${copy}`), rowMode: 'array' });
	expect(bronze.rows).toEqual(source.rows);
	// Byte for byte the CSV of the first test's run: the same COPY, whichever path wrote it.
	const first = (await w.wh.query(`SELECT csv_sha256 FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'loaded'`, [table])).rows[0].csv_sha256;
	expect(r.sha256).toBe(first);
});
