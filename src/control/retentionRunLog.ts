import type pg from 'pg';

/**
 * dwh_control.retention_runs (migrations 0082, 0120): one row per table and layer per retention run — raw expiry
 * (expireRaw.ts, layer 'raw') and the archive sweep (sweepArchive.ts, layers 'exports' / 'processed'). The only
 * module that writes it. A run is inserted 'running' first and ends 'completed', 'skipped' or 'failed'; the message
 * is the caller's own text or safeErrorText of the error (dwh_readonly reads this table: no row values).
 */
export type RetentionLayer = 'raw' | 'exports' | 'processed';

export interface RetentionRunStart {
	table: string;
	layer: RetentionLayer;
	retentionDays: number;
	/** ISO timestamp; absent: now() − retentionDays on the server's clock (raw expiry). */
	cutoff?: string;
	executionId?: string | null;
}

/** Returns the run id and the cutoff as recorded (timestamptz text). */
export async function startRetentionRun(db: pg.Pool | pg.ClientBase, run: RetentionRunStart): Promise<{ id: string; cutoff: string }> {
	const { rows } = await db.query<{ id: string; cutoff: string }>(
		`INSERT INTO dwh_control.retention_runs (table_name, layer, retention_days, cutoff, status, n8n_execution_id)
		 VALUES ($1, $2, $3, coalesce($4::timestamptz, now() - make_interval(days => $3)), 'running', $5)
		 RETURNING retention_run_id::text AS id, cutoff::text AS cutoff`,
		[run.table, run.layer, run.retentionDays, run.cutoff ?? null, run.executionId ?? null],
	);
	return rows[0];
}

/** Counters a layer does not have stay 0 (raw expiry removes rows, the sweep removes objects). */
export interface RetentionRunEnd {
	status: 'completed' | 'skipped' | 'failed';
	message: string | null;
	rowsRemoved?: number;
	batches?: number;
	rowsKeptUnanonymised?: number;
	objectsRemoved?: number;
	bytesRemoved?: number;
}

export async function finishRetentionRun(db: pg.Pool | pg.ClientBase, id: string, end: RetentionRunEnd): Promise<void> {
	await db.query(
		`UPDATE dwh_control.retention_runs SET status = $2, rows_removed = $3, batches = $4, rows_kept_unanonymised = $5,
		        objects_removed = $6, bytes_removed = $7, message = $8, finished_at = now()
		  WHERE retention_run_id = $1`,
		[id, end.status, end.rowsRemoved ?? 0, end.batches ?? 0, end.rowsKeptUnanonymised ?? 0, end.objectsRemoved ?? 0, end.bytesRemoved ?? 0, end.message],
	);
}
