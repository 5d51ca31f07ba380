import type pg from 'pg';

type Db = pg.Pool | pg.ClientBase;

/** One place a request touched, as rtbf_actions records it. */
export interface ForgetAction {
	relation: string;
	action: 'deleted' | 'view_follows_raw' | 'absent' | 'vault_purged' | 'unlinked' | 'held_unlinked' | 'view_follows' | 'refreshed';
	rows: number;
	/** Why, where it is not obvious: the legal hold's basis, the column unlinked. */
	note?: string;
}

/** What one request came to, as rtbf_requests records it and Forget Users returns it. */
export interface ForgetOutcome {
	requestId: string;
	/** The audit identifier of the person (never the user id). */
	subjectHmac: string;
	status: 'completed' | 'partial' | 'failed';
	actions: ForgetAction[];
	rowsRemoved: number;
	/** Set on the outcome of an earlier 'partial' request that this run retried (completePartialForgets). */
	completedPartial?: boolean;
	/** The user id sealed for Verify Residue (verificationToken.ts); absent on retried 'partial' requests (no id is known). */
	verificationToken?: string;
}

/**
 * The right-to-be-forgotten audit: dwh_control.rtbf_requests, one row per request with its status
 * ('running' → 'completed' | 'partial' | 'failed') and the 30-day SLA clock, and rtbf_actions, one row per relation
 * it touched. The only module that writes them, for Forget Users (forget.ts) and the retry of partial requests
 * (completePartialForgets.ts). Only the subject HMAC is stored, never the user id; error text comes in already
 * sanitised (safeErrorText) by the caller, which knows what it was doing when it failed.
 */
export interface RtbfRequestStart {
	subjectHmac: string;
	/** When the person asked; the SLA clock starts here (default now). */
	requestedAt: string | null;
	reason: string | null;
	executionId?: string | null;
}

export async function openRtbfRequest(db: Db, r: RtbfRequestStart): Promise<string> {
	const { rows } = await db.query<{ id: string }>(
		`INSERT INTO dwh_control.rtbf_requests (subject_hmac, requested_at, status, reason, n8n_execution_id)
		 VALUES ($1, coalesce($2::timestamptz, now()), 'running', $3, $4) RETURNING request_id::text AS id`,
		[r.subjectHmac, r.requestedAt, r.reason, r.executionId ?? null],
	);
	return rows[0].id;
}

export async function recordRtbfActions(db: Db, requestId: string, actions: ForgetAction[]): Promise<void> {
	for (const a of actions) {
		await db.query('INSERT INTO dwh_control.rtbf_actions (request_id, relation, action, rows_affected, note) VALUES ($1, $2, $3, $4, $5)', [
			requestId,
			a.relation,
			a.action,
			a.rows,
			a.note ?? null,
		]);
	}
}

/** Ends a request; 'completed' stops its SLA clock (completed_at), and clears an earlier attempt's error. */
export async function finishRtbfRequest(db: Db, requestId: string, status: ForgetOutcome['status'], error: string | null): Promise<void> {
	await db.query(
		`UPDATE dwh_control.rtbf_requests SET status = $2, error_message = $3, completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE request_id = $1`,
		[requestId, status, error],
	);
}

/** A retry that failed again: the request stays as it is, with why. */
export async function noteRtbfRetryFailed(db: Db, requestId: string, error: string): Promise<void> {
	await db.query(`UPDATE dwh_control.rtbf_requests SET error_message = $2 WHERE request_id = $1`, [requestId, error]);
}
