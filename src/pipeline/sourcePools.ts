import type pg from 'pg';
import type { PostgresConnection } from '../config/connection.schema';
import { createPool } from '../transport/postgres';

/**
 * One replica credential serves every source database on the host (design doc §10.3: the replicator user reads
 * all DBs); pools are opened lazily per source_db and each honours the credential's connection cap.
 */
export class SourcePools {
	private readonly pools = new Map<string, pg.Pool>();

	constructor(private readonly conn: PostgresConnection) {}

	get(sourceDb: string): pg.Pool {
		let pool = this.pools.get(sourceDb);
		if (!pool) {
			pool = createPool(this.conn, { database: sourceDb, role: 'extract' });
			this.pools.set(sourceDb, pool);
		}
		return pool;
	}

	async end(): Promise<void> {
		const all = [...this.pools.values()];
		this.pools.clear();
		await Promise.all(all.map((p) => p.end().catch(() => undefined)));
	}
}
