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

/** The first six arguments of push_run_start and push_run_skip: which target, from what, how. */
function identityParams(id: PushRunIdentity): unknown[] {
	return [id.targetName, id.targetRelation, id.sourceDescription, id.mode, id.k, id.groupSizeColumn];
}

/**
 * The run log is written only through dwh_control.push_run_* (the migration baseline, SECURITY DEFINER): the push login has
 * no privilege on dwh_control tables, so it can read marts.* and nothing else.
 *
 * Claims the target's running slot (unique partial index). Called while holding the target's advisory lock, so a
 * 'running' row already there belongs to a worker that died without finishing: it is failed as abandoned first.
 */
export async function claimPushRun(db: Db, id: PushRunIdentity): Promise<{ run: PushRunRow; abandoned: string[] }> {
	const abandoned = await db.query<{ push_run_id: string }>(`SELECT dwh_control.push_run_abandon($1) AS push_run_id`, [id.targetRelation]);
	const { rows } = await db.query<PushRunRow>(`SELECT * FROM dwh_control.push_run_start($1, $2, $3, $4, $5, $6, $7)`, [
		...identityParams(id),
		id.executionId ?? null,
	]);
	return { run: rows[0], abandoned: abandoned.rows.map((r) => r.push_run_id) };
}

export async function recordSkippedPush(db: Db, id: PushRunIdentity, reason: string): Promise<PushRunRow> {
	const { rows } = await db.query<PushRunRow>(`SELECT * FROM dwh_control.push_run_skip($1, $2, $3, $4, $5, $6, $7, $8)`, [
		...identityParams(id),
		reason,
		id.executionId ?? null,
	]);
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
	await db.query(`SELECT dwh_control.push_run_finish($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
		runId,
		c.tableCreated,
		c.rowsStaged,
		c.inserted,
		c.updated,
		c.unchanged,
		c.deleted,
		c.suppressed,
		c.suppressedRemoved,
	]);
}

export async function failPushRun(db: Db, runId: string | number, err: unknown): Promise<void> {
	await db.query(`SELECT dwh_control.push_run_fail($1, $2)`, [runId, safeErrorText(err)]);
}
