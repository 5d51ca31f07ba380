import type pg from 'pg';
import { safeErrorText } from '../privacy/safeErrorText';
import type { FindingKind } from './compare';
import type { KeyTuple } from './keySql';

export const reconcileStatuses = ['running', 'matched', 'differences', 'repaired', 'failed'] as const;
export type ReconcileStatus = (typeof reconcileStatuses)[number];
export type FindingAction = 'reported' | 'reextracted' | 'marked_deleted' | 'deleted' | 'erased';

export interface Finding {
	key: KeyTuple;
	kind: FindingKind;
	action: FindingAction;
	/** The key matches (or is gone from both sides, or marked) after the repair. */
	resolved: boolean;
}

/** Counts of one reconcile, as dwh_control.reconcile_runs stores them. Never row values. */
export interface ReconcileCounts {
	watermark: string;
	comparedUpTo: string;
	sourceRows: number;
	bronzeRows: number;
	rangesCompared: number;
	sourceRowsRead: number;
	bronzeRowsRead: number;
	missingInBronze: number;
	extraInBronze: number;
	staleInBronze: number;
	/** Rows deleted at the source whose personal data a repair erased from bronze (docs/reconcile.md). */
	erasedInBronze: number;
	/** Differing keys whose row belongs to a person Forget Users forgot: neither reported nor re-extracted. */
	forgottenSubjects: number;
	changedDuringRun: number;
	unresolved: number;
	findingsTruncated: boolean;
	repairRunId: number | null;
	message: string;
}

export async function startReconcileRun(db: pg.Pool, table: string, repair: boolean, executionId?: string): Promise<number> {
	const { rows } = await db.query<{ id: string }>(
		`INSERT INTO dwh_control.reconcile_runs (table_name, status, repair, n8n_execution_id) VALUES ($1, 'running', $2, $3) RETURNING reconcile_run_id AS id`,
		[table, repair, executionId ?? null],
	);
	return Number(rows[0].id);
}

/** Records the outcome and its findings together (one transaction on `client`). */
export async function finishReconcileRun(client: pg.PoolClient, id: number, status: ReconcileStatus, c: ReconcileCounts, findings: Finding[]): Promise<void> {
	await client.query(
		`UPDATE dwh_control.reconcile_runs
		    SET status = $2, watermark = $3, compared_up_to = $4, source_rows = $5, bronze_rows = $6, ranges_compared = $7,
		        source_rows_read = $8, bronze_rows_read = $9, missing_in_bronze = $10, extra_in_bronze = $11, stale_in_bronze = $12,
		        changed_during_run = $13, unresolved = $14, findings_truncated = $15, repair_run_id = $16, message = $17,
		        erased_in_bronze = $18, forgotten_subjects = $19, run_finished_at = now()
		  WHERE reconcile_run_id = $1`,
		[
			id,
			status,
			c.watermark,
			c.comparedUpTo,
			c.sourceRows,
			c.bronzeRows,
			c.rangesCompared,
			c.sourceRowsRead,
			c.bronzeRowsRead,
			c.missingInBronze,
			c.extraInBronze,
			c.staleInBronze,
			c.changedDuringRun,
			c.unresolved,
			c.findingsTruncated,
			c.repairRunId,
			c.message || null,
			c.erasedInBronze,
			c.forgottenSubjects,
		],
	);
	if (findings.length) {
		await client.query(
			`INSERT INTO dwh_control.reconcile_findings (reconcile_run_id, kind, key_values, action, resolved)
			 SELECT $1, f->>'kind', ARRAY(SELECT json_array_elements_text(f->'key')), f->>'action', (f->>'resolved')::boolean
			   FROM json_array_elements($2::json) f`,
			[id, JSON.stringify(findings)],
		);
	}
}

export async function failReconcileRun(db: pg.Pool, id: number, err: unknown): Promise<void> {
	await db.query(
		`UPDATE dwh_control.reconcile_runs SET status = 'failed', error_message = $2, run_finished_at = now() WHERE reconcile_run_id = $1 AND status = 'running'`,
		[id, safeErrorText(err)],
	);
}
