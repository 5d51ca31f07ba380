import type pg from 'pg';
import { safeErrorText } from '../privacy/safeErrorText';
import type { PushMode } from './target.schema';

type Db = pg.Pool | pg.PoolClient;

export interface PushRunRow {
	push_run_id: string;
	target_name: string;
	target_relation: string;
	source_description: string;
	mode: PushMode;
	status: 'running' | 'pushed' | 'failed' | 'skipped';
	k: number | null;
	group_size_column: string | null;
	table_created: boolean;
	rows_staged: string | null;
	rows_inserted: string | null;
	rows_updated: string | null;
	rows_unchanged: string | null;
	rows_deleted: string | null;
	rows_suppressed: string | null;
	rows_suppressed_removed: string | null;
	error_message: string | null;
	skip_reason: string | null;
	run_started_at: string;
	lock_acquired_at: string | null;
	run_finished_at: string | null;
	n8n_execution_id: string | null;
}

export interface PushRunIdentity {
	targetName: string;
	targetRelation: string;
	sourceDescription: string;
	mode: PushMode;
	k: number | null;
	groupSizeColumn: string | null;
	executionId?: string;
}

/**
 * Claims the target's running slot (unique partial index). Called while holding the target's advisory lock, so a
 * 'running' row already there belongs to a worker that died without finishing: it is failed as abandoned first.
 */
export async function claimPushRun(db: Db, id: PushRunIdentity): Promise<{ run: PushRunRow; abandoned: string[] }> {
	const abandoned = await db.query<{ push_run_id: string }>(
		`UPDATE dwh_control.push_runs
		    SET status = 'failed', run_finished_at = now(),
		        error_message = 'abandoned: its worker stopped without finishing (the target lock was free when the next push started)'
		  WHERE target_relation = $1 AND status = 'running'
		RETURNING push_run_id`,
		[id.targetRelation],
	);
	const { rows } = await db.query<PushRunRow>(
		`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, k, group_size_column,
		                                    lock_acquired_at, n8n_execution_id)
		 VALUES ($1, $2, $3, $4, 'running', $5, $6, clock_timestamp(), $7)
		 RETURNING *`,
		[id.targetName, id.targetRelation, id.sourceDescription, id.mode, id.k, id.groupSizeColumn, id.executionId ?? null],
	);
	return { run: rows[0], abandoned: abandoned.rows.map((r) => r.push_run_id) };
}

export async function recordSkippedPush(db: Db, id: PushRunIdentity, reason: string): Promise<PushRunRow> {
	const { rows } = await db.query<PushRunRow>(
		`INSERT INTO dwh_control.push_runs (target_name, target_relation, source_description, mode, status, k, group_size_column,
		                                    skip_reason, run_finished_at, n8n_execution_id)
		 VALUES ($1, $2, $3, $4, 'skipped', $5, $6, $7, clock_timestamp(), $8)
		 RETURNING *`,
		[id.targetName, id.targetRelation, id.sourceDescription, id.mode, id.k, id.groupSizeColumn, reason, id.executionId ?? null],
	);
	return rows[0];
}

export interface PushCounts {
	tableCreated: boolean;
	rowsStaged: number;
	inserted: number;
	updated: number;
	unchanged: number;
	deleted: number;
	suppressed: number;
	suppressedRemoved: number;
}

export async function finishPushRun(db: Db, runId: string | number, c: PushCounts): Promise<void> {
	await db.query(
		`UPDATE dwh_control.push_runs
		    SET status = 'pushed', table_created = $2, rows_staged = $3, rows_inserted = $4, rows_updated = $5,
		        rows_unchanged = $6, rows_deleted = $7, rows_suppressed = $8, rows_suppressed_removed = $9,
		        run_finished_at = clock_timestamp()
		  WHERE push_run_id = $1 AND status = 'running'`,
		[runId, c.tableCreated, c.rowsStaged, c.inserted, c.updated, c.unchanged, c.deleted, c.suppressed, c.suppressedRemoved],
	);
}

export async function failPushRun(db: Db, runId: string | number, err: unknown): Promise<void> {
	await db.query(
		`UPDATE dwh_control.push_runs SET status = 'failed', error_message = $2, run_finished_at = clock_timestamp()
		  WHERE push_run_id = $1 AND status = 'running'`,
		[runId, safeErrorText(err)],
	);
}

export async function recentPushRuns(db: Db, targetName: string, limit = 10): Promise<PushRunRow[]> {
	const { rows } = await db.query<PushRunRow>(
		`SELECT * FROM dwh_control.push_runs WHERE target_name = $1 ORDER BY run_started_at DESC, push_run_id DESC LIMIT $2`,
		[targetName, limit],
	);
	return rows;
}
