import { escapeIdentifier as q } from 'pg';
import type pg from 'pg';

/**
 * Inserts plain objects in batches through json_populate_recordset: Postgres does the typing (numeric, inet,
 * timestamptz, jsonb, arrays) so the generators can hand over strings and the rows stay exact.
 */
export async function insertRows(db: pg.Pool, table: string, rows: Record<string, unknown>[], batch = 2000): Promise<number> {
	if (rows.length === 0) return 0;
	const cols = Object.keys(rows[0]).map(q).join(', ');
	for (let i = 0; i < rows.length; i += batch) {
		await db.query(`INSERT INTO ${q(table)} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${q(table)}, $1::json)`, [
			JSON.stringify(rows.slice(i, i + batch)),
		]);
	}
	return rows.length;
}

/** Inserts `n` rows made one after the other by `row` (what a change() adds between two extract runs). */
export function insertNewRows(db: pg.Pool, table: string, n: number, row: () => Record<string, unknown>): Promise<number> {
	return insertRows(db, table, Array.from({ length: n }, row));
}
