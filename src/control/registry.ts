import type pg from 'pg';
import type { RegisteredTable } from '../config/registry.schema';
import { SQL_IDENTIFIER } from '../config/identifiers';

const COLUMNS = `table_name, source_db, source_schema, source_table, mode, load_strategy, watermark_column, watermark_time_zone, key_columns,
	cadence::text AS cadence, lookback::text AS lookback, safety_lag::text AS safety_lag, schema_drift_policy,
	excluded_columns, on_source_delete, raw_retention_days, reconcile_cadence::text AS reconcile_cadence, enabled, description`;

export class UnknownTableError extends Error {
	constructor(table: string, known: string[]) {
		const hint = known.length
			? ` Registered tables include: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}.`
			: ' The registry is empty: run `npm run dwh:registry-sync`.';
		super(`Table "${table}" is not in dwh_control.source_tables.${hint}`);
		this.name = 'UnknownTableError';
	}
}

export async function listRegisteredTables(pool: pg.Pool | pg.PoolClient, opts: { enabledOnly?: boolean } = {}): Promise<RegisteredTable[]> {
	const { rows } = await pool.query<RegisteredTable>(
		`SELECT ${COLUMNS} FROM dwh_control.source_tables ${opts.enabledOnly ? 'WHERE enabled' : ''} ORDER BY table_name`,
	);
	return rows;
}

/** Looks a table up by its registry name; the name is validated first so it never reaches SQL unchecked. */
export async function getRegisteredTable(pool: pg.Pool | pg.PoolClient, table: string): Promise<RegisteredTable> {
	if (!SQL_IDENTIFIER.test(table)) {
		throw new UnknownTableError(table, []);
	}
	const { rows } = await pool.query<RegisteredTable>(`SELECT ${COLUMNS} FROM dwh_control.source_tables WHERE table_name = $1`, [table]);
	if (rows.length === 0) {
		const known = await pool.query<{ table_name: string }>('SELECT table_name FROM dwh_control.source_tables WHERE enabled ORDER BY 1');
		throw new UnknownTableError(
			table,
			known.rows.map((r) => r.table_name),
		);
	}
	return rows[0];
}
