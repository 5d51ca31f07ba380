import { escapeIdentifier as q } from 'pg';
import type pg from 'pg';

/**
 * Synthetic source tables in warehouse words: customers (mutable rows, upsert by updated_at) and payments
 * (append-only, ZAR amounts). Rows are generated in SQL so a test seeds thousands without shipping data.
 */
export async function createSourceTables(src: pg.Pool): Promise<void> {
	await src.query(`
		CREATE TABLE customers (
			id bigint PRIMARY KEY,
			full_name text NOT NULL,
			email text,
			phone text,
			updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
		);
		CREATE TABLE payments (
			id bigserial PRIMARY KEY,
			customer_id bigint NOT NULL,
			amount_zar numeric(14,2) NOT NULL,
			reference text,
			created_at timestamptz NOT NULL DEFAULT clock_timestamp()
		);`);
}

export async function insertCustomers(src: pg.Pool, from: number, count: number): Promise<void> {
	await src.query(
		`INSERT INTO customers (id, full_name, email, phone)
		 SELECT g, 'Customer ' || g, 'customer' || g || '@example.co.za', '+27 82 ' || lpad((g % 10000000)::text, 7, '0')
		   FROM generate_series($1::bigint, $1::bigint + $2 - 1) g`,
		[from, count],
	);
}

export async function insertPayments(src: pg.Pool, count: number): Promise<void> {
	await src.query(
		`INSERT INTO payments (customer_id, amount_zar, reference)
		 SELECT 1 + (g % 50), round((random() * 5000)::numeric, 2), 'EFT, "ref" ' || g FROM generate_series(1, $1::int) g`,
		[count],
	);
}

/** Rows of a table as JSON text, ordered by key, so two databases can be compared exactly. */
export async function tableRows(db: pg.Pool, qualified: string, columns: string[], orderBy: string[]): Promise<string[]> {
	const { rows } = await db.query<{ r: string }>(
		`SELECT to_jsonb(t)::text AS r FROM (SELECT ${columns.map(q).join(', ')} FROM ${qualified} ORDER BY ${orderBy.map(q).join(', ')}) t`,
	);
	return rows.map((r) => r.r);
}

export async function sourceColumnsOf(src: pg.Pool, table: string): Promise<string[]> {
	const { rows } = await src.query<{ c: string }>(
		`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
		[table],
	);
	return rows.map((r) => r.c);
}

/** Asserts bronze holds exactly the source's rows (same keys, same values, nothing lost or duplicated). */
export async function expectBronzeEqualsSource(src: pg.Pool, wh: pg.Pool, sourceTable: string, bronzeTable: string, key: string[]): Promise<number> {
	const cols = await sourceColumnsOf(src, sourceTable);
	const [a, b] = await Promise.all([tableRows(src, `public.${q(sourceTable)}`, cols, key), tableRows(wh, `raw.${q(bronzeTable)}`, cols, key)]);
	expect(b.length).toBe(a.length);
	expect(b).toEqual(a);
	return a.length;
}

export interface RunRowSummary {
	run_id: string;
	table_name: string;
	status: string;
	rows_extracted: string | null;
	window_lower: string | null;
	window_upper: string | null;
	error_message: string | null;
	skip_reason: string | null;
	n8n_execution_id: string | null;
}

export async function runLog(wh: pg.Pool, table?: string): Promise<RunRowSummary[]> {
	const { rows } = await wh.query<RunRowSummary>(
		`SELECT run_id::text, table_name, status, rows_extracted::text, window_lower::text, window_upper::text, error_message, skip_reason, n8n_execution_id
		   FROM dwh_control.extract_runs WHERE $1::text IS NULL OR table_name = $1 ORDER BY run_id`,
		[table ?? null],
	);
	return rows;
}
