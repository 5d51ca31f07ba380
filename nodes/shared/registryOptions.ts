import type pg from 'pg';
import type { ILoadOptionsFunctions, INodePropertyOptions } from 'n8n-workflow';
import { listRegisteredTables } from '../../src/control/registry';
import { createPool } from '../../src/transport/postgres';
import { toNodeError } from './nodeErrors';
import { readWarehouseConnection } from './pipelineContext';

/** One short-lived connection for an editor dropdown; the editor calls this on every open, so nothing is kept open. */
async function withWarehouseClient<T>(fns: ILoadOptionsFunctions, use: (db: pg.Pool) => Promise<T>): Promise<T> {
	let warehouse;
	try {
		warehouse = await readWarehouseConnection(fns);
		const pool = createPool({ ...warehouse, maxConnections: 1 }, { role: 'editor' });
		try {
			return await use(pool);
		} finally {
			await pool.end().catch(() => undefined);
		}
	} catch (err) {
		throw toNodeError(fns.getNode(), err, { warehouse });
	}
}

/** Registered tables (dwh_control.source_tables) for a table dropdown, disabled ones labelled as such. */
export async function registeredTableOptions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return withWarehouseClient(this, async (client) => {
		const tables = await listRegisteredTables(client);
		return tables.map((t) => ({
			name: t.enabled ? t.table_name : `${t.table_name} (disabled)`,
			value: t.table_name,
			description: `${t.source_db}.${t.source_schema}.${t.source_table} · ${t.mode} · every ${t.cadence}`,
		}));
	});
}

/** Distinct source databases of the registry, for "only these sources" filters. */
export async function sourceDatabaseOptions(this: ILoadOptionsFunctions): Promise<INodePropertyOptions[]> {
	return withWarehouseClient(this, async (client) => {
		const { rows } = await client.query<{ source_db: string; n: string }>(
			'SELECT source_db, count(*) AS n FROM dwh_control.source_tables GROUP BY source_db ORDER BY source_db',
		);
		return rows.map((r) => ({ name: r.source_db, value: r.source_db, description: `${r.n} registered table(s)` }));
	});
}
