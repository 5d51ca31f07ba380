import type pg from 'pg';
import type { DbtCommand } from './command.schema';
import type { DbtRunSummary } from './runOutcome';

/**
 * dwh_control.dbt_runs (migration 0051): one row per writing dbt Core run. Written on the session that holds the
 * project lock, so "a row still 'running' while I hold the lock" can only mean its executor died.
 */
export interface DbtRunLogEntry {
	runId: string;
	project: string;
	command: DbtCommand;
	executionId: string | null;
}

/** Marks the project's runs still 'running' as abandoned; returns their run ids. Call with the project lock held. */
export async function abandonDbtRuns(session: pg.ClientBase, project: string): Promise<string[]> {
	const { rows } = await session.query<{ run_id: string }>(
		`UPDATE dwh_control.dbt_runs
		    SET status = 'error', finished_at = now(), elapsed_s = round(extract(epoch FROM now() - started_at)::numeric, 3),
		        error_message = 'abandoned: the execution running it stopped before dbt finished (n8n restarted or the worker died)'
		  WHERE project = $1 AND status = 'running'
		RETURNING run_id`,
		[project],
	);
	return rows.map((r) => r.run_id);
}

export async function recordDbtRunStarted(session: pg.ClientBase, e: DbtRunLogEntry): Promise<void> {
	const selection = e.command.selector ? [`selector:${e.command.selector}`] : e.command.select;
	await session.query(
		`INSERT INTO dwh_control.dbt_runs (run_id, project, command, selection, exclusion, full_refresh, retry_of, status, n8n_execution_id)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8)`,
		[e.runId, e.project, e.command.command, selection, e.command.exclude, e.command.fullRefresh, e.command.retryOf ?? null, e.executionId],
	);
}

export async function recordDbtRunFinished(session: pg.ClientBase, s: DbtRunSummary): Promise<void> {
	await session.query(
		`UPDATE dwh_control.dbt_runs
		    SET status = $2, exit_code = $3, finished_at = now(), elapsed_s = $4, node_count = $5, counts = $6,
		        invocation_id = $7, dbt_version = $8, artifacts_dir = $9, error_message = $10
		  WHERE run_id = $1`,
		[s.runId, s.status, s.exitCode, s.elapsedS, s.nodeCount, JSON.stringify(s.counts), s.invocationId, s.dbtVersion, s.artifactsDir, s.errorMessage],
	);
}
