import type pg from 'pg';
import { safeErrorText } from '../privacy/safeErrorText';

type Db = pg.Pool | pg.ClientBase;

/**
 * dwh_control.anonymise_runs (migrations 0020, 0023, 0024): one row per Anonymise build (set, rotation, incremental)
 * or Anonymise Items call. The only module that writes it. A run is inserted 'running' before anything is touched,
 * so a failure is logged too, and ends 'published', 'blocked' (the PII gate refused the output) or 'failed'.
 * Error text goes through safeErrorText: a row value quoted by the server never reaches the run log (dwh_readonly
 * reads it); findings carry table, column and detector, never values.
 */
export interface AnonymiseRunStart {
	sourceDb: string;
	sourceTable: string;
	inputRelation: string;
	outputRelation: string;
	mode: 'set' | 'rotation' | 'items';
	policyVersion: string;
	policySha256: string | null;
	asOf: string;
	/** Known up front only for Anonymise Items (the batch size); builds record it when they finish. */
	rowsIn?: number | null;
	executionId?: string | null;
}

export async function startAnonymiseRun(db: Db, run: AnonymiseRunStart): Promise<string> {
	const { rows } = await db.query<{ run_id: string }>(
		`INSERT INTO dwh_control.anonymise_runs (source_db, source_table, input_relation, output_relation, mode, status, policy_version, policy_sha256, as_of_date, rows_in, n8n_execution_id)
		 VALUES ($1, $2, $3, $4, $5, 'running', $6, $7, $8, $9, $10) RETURNING run_id::text`,
		[
			run.sourceDb,
			run.sourceTable,
			run.inputRelation,
			run.outputRelation,
			run.mode,
			run.policyVersion,
			run.policySha256,
			run.asOf,
			run.rowsIn ?? null,
			run.executionId ?? null,
		],
	);
	return rows[0].run_id;
}

/** What a build or an items call produced; absent fields keep what the start recorded. */
export interface AnonymiseRunEnd {
	saltVersions?: Record<string, number> | null;
	rowsIn?: number | null;
	rowsOut?: number | null;
	tokensIssued?: number | null;
	findings?: unknown[] | null;
	/** The error that blocked or failed the run (stored through safeErrorText). */
	error?: unknown;
	/** 'incremental' turns the run's mode into 'incremental'. */
	build?: 'full' | 'incremental' | null;
	inputWatermark?: string | null;
	buildNote?: string | null;
	inputLoadedRuns?: string | number | null;
}

export async function finishAnonymiseRun(db: Db, runId: string, status: 'published' | 'blocked' | 'failed', end: AnonymiseRunEnd): Promise<void> {
	await db.query(
		`UPDATE dwh_control.anonymise_runs SET status = $2, salt_versions = coalesce($3::jsonb, salt_versions), rows_in = coalesce($4, rows_in), rows_out = $5,
		        tokens_issued = $6, pii_findings = $7::jsonb, error_message = $8, run_finished_at = now(),
		        mode = CASE WHEN $9 = 'incremental' THEN 'incremental' ELSE mode END, input_watermark = $10::bigint, build_note = $11,
		        input_loaded_runs = $12::bigint
		  WHERE run_id = $1`,
		[
			runId,
			status,
			end.saltVersions ? JSON.stringify(end.saltVersions) : null,
			end.rowsIn ?? null,
			end.rowsOut ?? null,
			end.tokensIssued ?? null,
			end.findings ? JSON.stringify(end.findings) : null,
			end.error === undefined ? null : safeErrorText(end.error),
			end.build ?? null,
			end.inputWatermark ?? null,
			end.buildNote ?? null,
			end.inputLoadedRuns ?? null,
		],
	);
}

/**
 * Marks the run 'failed' with the error. Never throws: it runs on the way out of a failure, whose own error is the
 * one the caller reports (a warehouse that is gone cannot take the run row either).
 */
export async function failAnonymiseRun(db: Db, runId: string, error: unknown): Promise<void> {
	await finishAnonymiseRun(db, runId, 'failed', { error }).catch(() => undefined);
}
