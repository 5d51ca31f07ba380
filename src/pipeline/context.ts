import type pg from 'pg';
import type { PostgresConnection } from '../config/connection.schema';
import type { ObjectStoreConfig } from '../config/connection.schema';
import { ObjectStore } from '../transport/objectStore';
import { createPool } from '../transport/postgres';
import { SourcePools } from './sourcePools';

export interface PipelineContext {
	warehouse: pg.Pool;
	sources: SourcePools;
	store: ObjectStore;
	/** IANA zone used only to name CSV files (manual §4 B: the zone is part of the name). */
	exportTimezone: string;
	executionId?: string;
	log?: (message: string) => void;
}

export const DEFAULT_EXPORT_TIMEZONE = 'Africa/Johannesburg';

export interface PipelineConnections {
	source?: PostgresConnection;
	warehouse: PostgresConnection;
	store: ObjectStoreConfig;
	exportTimezone?: string;
	executionId?: string;
	log?: (message: string) => void;
}

/** Opens pools for one n8n execution / CLI run; `close()` must be called in a finally block. */
export function openPipelineContext(c: PipelineConnections): PipelineContext & { close(): Promise<void> } {
	const warehouse = createPool(c.warehouse, { role: 'warehouse' });
	const sources = new SourcePools(c.source ?? c.warehouse);
	return {
		warehouse,
		sources,
		store: new ObjectStore(c.store),
		exportTimezone: c.exportTimezone ?? DEFAULT_EXPORT_TIMEZONE,
		executionId: c.executionId,
		log: c.log,
		async close() {
			await Promise.all([warehouse.end().catch(() => undefined), sources.end()]);
		},
	};
}
