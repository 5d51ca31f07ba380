import type pg from 'pg';
import type { RunStatus } from '../config/run.schema';
import { redactErrorText, safeErrorText } from '../privacy/safeErrorText';

type Db = pg.Pool | pg.PoolClient;

/**
 * extract_runs.mode of a reconcile repair: it re-extracts listed keys, not a window, so its load merges them like any
 * run (the later run wins) but leaves the watermark, and a snapshot table's other rows, alone.
 */
export const REPAIR_RUN_MODE = 'repair';

export interface RunRow {
	run_id: string;
	table_name: string;
	status: RunStatus;
	mode: string;
	window_lower: string | null;
	window_upper: string | null;
	upper_capped_by: string | null;
	columns: string[] | null;
	rows_extracted: string | null;
	csv_path: string | null;
	csv_bytes: string | null;
	csv_sha256: string | null;
	processed_path: string | null;
	csv_moved_at: string | null;
	run_started_at: string;
	extracted_at: string | null;
	error_message: string | null;
}

export async function getRun(db: Db, runId: number, forUpdate = false): Promise<RunRow | null> {
	const { rows } = await db.query<RunRow>(`SELECT * FROM dwh_control.extract_runs WHERE run_id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`, [runId]);
	return rows[0] ?? null;
}

export async function inFlightRun(db: Db, table: string): Promise<RunRow | null> {
	const { rows } = await db.query<RunRow>(`SELECT * FROM dwh_control.extract_runs WHERE table_name = $1 AND status IN ('extracting','uploaded','loading')`, [
		table,
	]);
	return rows[0] ?? null;
}

/** Inserts a new 'extracting' run, or returns null when another run holds the table's in-flight slot. */
export async function claimRun(db: Db, table: string, mode: string, executionId?: string): Promise<RunRow | null> {
	const { rows } = await db.query<RunRow>(
		`INSERT INTO dwh_control.extract_runs (table_name, status, mode, n8n_execution_id)
		 VALUES ($1, 'extracting', $2, $3)
		 ON CONFLICT (table_name) WHERE status IN ('extracting','uploaded','loading') DO NOTHING
		 RETURNING *`,
		[table, mode, executionId ?? null],
	);
	return rows[0] ?? null;
}

export async function recordSkippedRun(db: Db, table: string, mode: string, reason: string, executionId?: string): Promise<RunRow> {
	const { rows } = await db.query<RunRow>(
		`INSERT INTO dwh_control.extract_runs (table_name, status, mode, skip_reason, run_finished_at, n8n_execution_id)
		 VALUES ($1, 'skipped', $2, $3, now(), $4) RETURNING *`,
		[table, mode, reason, executionId ?? null],
	);
	return rows[0];
}

/** Fails an in-flight run whose worker is gone. Guarded by status so a run that just finished is left alone. */
export async function abandonRun(db: Db, runId: string | number, reason: string): Promise<boolean> {
	const res = await db.query(
		`UPDATE dwh_control.extract_runs SET status = 'failed', error_message = $2, run_finished_at = now()
		 WHERE run_id = $1 AND status IN ('extracting','uploaded','loading')`,
		[runId, redactErrorText(reason)],
	);
	return (res.rowCount ?? 0) > 0;
}

export async function failRun(db: Db, runId: string | number, err: unknown, fromStatuses: RunStatus[]): Promise<void> {
	await db.query(
		`UPDATE dwh_control.extract_runs SET status = 'failed', error_message = $2, run_finished_at = now()
		 WHERE run_id = $1 AND status = ANY($3::text[])`,
		[runId, safeErrorText(err), fromStatuses],
	);
}

export interface UploadedRun {
	windowLower: string | null;
	windowUpper: string | null;
	upperCappedBy: string | null;
	columns: string[];
	rows: number;
	csvPath: string;
	bytes: number;
	sha256: string;
	note: string | null;
	/** Incremental runs: source rows whose watermark is NULL or 'infinity' (outside every window). */
	rowsWithoutWatermark: number | null;
}

export async function markUploaded(db: Db, runId: string | number, u: UploadedRun): Promise<void> {
	const res = await db.query(
		`UPDATE dwh_control.extract_runs
		 SET status = 'uploaded', window_lower = $2, window_upper = $3, upper_capped_by = $4, columns = $5,
		     rows_extracted = $6, csv_path = $7, csv_bytes = $8, csv_sha256 = $9, extracted_at = now(), error_message = $10,
		     rows_without_watermark = $11
		 WHERE run_id = $1 AND status = 'extracting'`,
		[runId, u.windowLower, u.windowUpper, u.upperCappedBy, u.columns, u.rows, u.csvPath, u.bytes, u.sha256, u.note, u.rowsWithoutWatermark],
	);
	if (res.rowCount !== 1) {
		throw new Error(
			`run ${runId} is no longer 'extracting' (another execution failed it as abandoned); its CSV ${u.csvPath} stays in exports/ and will not be loaded`,
		);
	}
}

/** Load While Extracting records the run's object key before writing it, so a crash can be traced to its object. */
export async function recordCsvKey(db: Db, runId: string | number, csvPath: string): Promise<void> {
	await db.query(`UPDATE dwh_control.extract_runs SET csv_path = $2 WHERE run_id = $1 AND status = 'extracting'`, [runId, csvPath]);
}

/**
 * 'uploaded' (or a failed load being retried) → 'loading'. False when the run changed status meanwhile; a unique
 * violation (23505) means another run of the table holds the in-flight slot.
 */
export async function markLoading(db: Db, runId: string | number, executionId: string | undefined): Promise<boolean> {
	const res = await db.query(
		`UPDATE dwh_control.extract_runs SET status = 'loading', load_started_at = now(), error_message = NULL, load_execution_id = $2
		  WHERE run_id = $1 AND status IN ('uploaded', 'failed')`,
		[runId, executionId ?? null],
	);
	return res.rowCount === 1;
}

export interface LoadedRun {
	inserted: number;
	updated: number;
	unchanged: number;
	deleted: number;
	/** Re-read rows changed under an unchanged watermark (null where the strategy does not count them). */
	sameStamp: number | null;
	/** Set when the CSV is already in processed/ (a load while extracting); else the move records it later. */
	processedPath: string | null;
	oldestChangedStamp: string | null;
}

/** 'loading' → 'loaded', inside the load's transaction (commits with the rows and the watermark). */
export async function markLoaded(db: Db, runId: string | number, l: LoadedRun): Promise<void> {
	await db.query(
		`UPDATE dwh_control.extract_runs
		    SET status = 'loaded', rows_inserted = $2, rows_updated = $3, rows_unchanged = $4, rows_deleted = $5,
		        rows_changed_same_stamp = $6, run_finished_at = now(),
		        processed_path = coalesce($7, processed_path), csv_moved_at = CASE WHEN $7::text IS NULL THEN csv_moved_at ELSE now() END,
		        oldest_changed_stamp = $8
		  WHERE run_id = $1`,
		[runId, l.inserted, l.updated, l.unchanged, l.deleted, l.sameStamp, l.processedPath, l.oldestChangedStamp],
	);
}

/** After the load committed: the CSV is in processed/. */
export async function markCsvMoved(db: Db, runId: string | number, processedPath: string): Promise<void> {
	await db.query(`UPDATE dwh_control.extract_runs SET processed_path = $2, csv_moved_at = now() WHERE run_id = $1 AND status = 'loaded'`, [
		runId,
		processedPath,
	]);
}
