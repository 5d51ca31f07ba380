import type pg from 'pg';
import type { ReconcileOptionsInput } from '../config/reconcile.schema';
import type { PipelineContext } from '../pipeline/context';
import { safeErrorText } from '../privacy/safeErrorText';
import { ReconcileError, reconcileTable, type ReconcileResult } from './reconcileTable';

/**
 * Enabled incremental tables, loaded at least once, whose reconcile_cadence has elapsed since their last reconcile
 * started (a failed one counts: it is retried at the next due time, not on every tick). Five minutes of grace: a
 * reconcile of a big table takes minutes, and an hourly schedule must not skip a '1 hour' table every other hour.
 */
export async function listReconcileDue(db: pg.Pool | pg.PoolClient, opts: { sourceDbs?: string[] } = {}): Promise<string[]> {
	const { rows } = await db.query<{ table_name: string }>(
		`SELECT s.table_name
		   FROM dwh_control.source_tables s
		   JOIN dwh_control.extract_watermarks w USING (table_name)
		   LEFT JOIN LATERAL (
		        SELECT max(run_started_at) AS last_started FROM dwh_control.reconcile_runs r WHERE r.table_name = s.table_name) r ON true
		  WHERE s.enabled AND s.mode = 'incremental' AND s.reconcile_cadence IS NOT NULL AND isfinite(w.last_extracted_at)
		    AND ($1::text[] IS NULL OR s.source_db = ANY($1::text[]))
		    AND (r.last_started IS NULL OR r.last_started <= now() - s.reconcile_cadence + interval '5 minutes')
		  ORDER BY s.table_name`,
		[opts.sourceDbs && opts.sourceDbs.length ? opts.sourceDbs : null],
	);
	return rows.map((r) => r.table_name);
}

export type DueReconcileResult = ReconcileResult | { table: string; status: 'failed'; reconcileRunId: number | null; message: string };

/**
 * Reconciles every due table one after another (one comparison's connections at a time on the replica, design
 * §10.3). A table that fails becomes a failed result and the others carry on; its run is recorded as failed (and
 * alerts) when it got as far as starting one.
 */
export async function reconcileDueTables(
	ctx: PipelineContext,
	options: ReconcileOptionsInput = {},
	opts: { sourceDbs?: string[]; hmacKey?: string } = {},
): Promise<DueReconcileResult[]> {
	const results: DueReconcileResult[] = [];
	for (const table of await listReconcileDue(ctx.warehouse, opts)) results.push(await reconcileOrFailure(ctx, table, options, { hmacKey: opts.hmacKey }));
	return results;
}

/** One table's reconcile (reconcileTable's arguments); a failure (also a refusal: a snapshot or never-loaded table) as a failed result. */
export async function reconcileOrFailure(...args: Parameters<typeof reconcileTable>): Promise<DueReconcileResult> {
	try {
		return await reconcileTable(...args);
	} catch (err) {
		return { table: args[1], status: 'failed', reconcileRunId: err instanceof ReconcileError ? err.reconcileRunId : null, message: safeErrorText(err) };
	}
}
