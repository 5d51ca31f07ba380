import type pg from 'pg';
import type { ObjectStore } from '../transport/objectStore';
import { expireRawRows, type ExpireRawResult } from './expireRaw';
import { sweepArchive, type SweepArchiveResult } from './sweepArchive';

/**
 * One retention run (the dwh-retention-daily workflow, the Anonymise node's Apply Retention): raw expiry, then the
 * CSV archive sweep. Each step is batched and locked per table by its own module and audited per table in
 * dwh_control.retention_runs, all rows under the same n8n execution id. A step that fails for one table (status
 * 'failed') does not stop the others; v_retention_alerts raises it.
 */
export interface RetentionRunOptions {
	/** The registry's retention.archive_days; the archive is swept only with a store. */
	archiveDays: number;
	executionId?: string;
	lockWaitMs?: number;
	batchSize?: number;
}

/** One table of one layer, as the node outputs it. */
export interface RetentionItem {
	layer: 'raw' | 'exports' | 'processed';
	table: string;
	status: 'completed' | 'skipped' | 'failed';
	retentionDays: number;
	cutoff: string;
	rowsRemoved: number;
	rowsKeptUnanonymised: number;
	objectsRemoved: number;
	bytesRemoved: number;
	objectsKept: number;
	message: string | null;
}

export async function runRetention(pool: pg.Pool, store: ObjectStore | null, opts: RetentionRunOptions): Promise<RetentionItem[]> {
	const raw = await expireRawRows(pool, { executionId: opts.executionId, lockWaitMs: opts.lockWaitMs, batchSize: opts.batchSize });
	const archive = store ? await sweepArchive(pool, store, { days: opts.archiveDays, executionId: opts.executionId, lockWaitMs: opts.lockWaitMs }) : [];
	return [...raw.map(fromRaw), ...archive.map(fromArchive)];
}

function fromRaw(r: ExpireRawResult): RetentionItem {
	return {
		layer: 'raw',
		table: r.table,
		status: r.status,
		retentionDays: r.retentionDays,
		cutoff: r.cutoff,
		rowsRemoved: r.rowsRemoved,
		rowsKeptUnanonymised: r.rowsKeptUnanonymised,
		objectsRemoved: 0,
		bytesRemoved: 0,
		objectsKept: 0,
		message: r.message,
	};
}

function fromArchive(r: SweepArchiveResult): RetentionItem {
	return {
		layer: r.area,
		table: r.table,
		status: r.status,
		retentionDays: r.retentionDays,
		cutoff: r.cutoff,
		rowsRemoved: 0,
		rowsKeptUnanonymised: 0,
		objectsRemoved: r.objectsRemoved,
		bytesRemoved: r.bytesRemoved,
		objectsKept: r.objectsKept,
		message: r.message,
	};
}
