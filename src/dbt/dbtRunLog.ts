import type pg from 'pg';
import { safeErrorText } from '../privacy/safeErrorText';
import type { DbtCommand } from './command.schema';
import type { DbtNodeResult, DbtRunSummary } from './runOutcome';

/**
 * dwh_control.dbt_runs (the migration baseline): one row per dbt Core run, and dbt_node_results: one row per node of
 * it. Writing runs are recorded on the session that holds the project lock, 'running' first, so "a row still
 * 'running' while I hold the lock" can only mean its executor died. Read-only runs (test, source freshness) take no
 * lock and are recorded once, finished (recordDbtRunCompleted), so no crash can leave one 'running'.
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

/** dbt could not be run or its outcome not read: the run ends 'error' with the reason (no row values: safeErrorText). */
export async function recordDbtRunFailed(session: pg.ClientBase, runId: string, err: unknown): Promise<void> {
	await session.query(`UPDATE dwh_control.dbt_runs SET status = 'error', finished_at = now(), error_message = $2 WHERE run_id = $1`, [
		runId,
		safeErrorText(err),
	]);
}

export async function recordDbtRunFinished(session: pg.ClientBase, s: DbtRunSummary, nodes: DbtNodeResult[]): Promise<void> {
	await session.query(
		`UPDATE dwh_control.dbt_runs
		    SET status = $2, exit_code = $3, finished_at = now(), elapsed_s = $4, node_count = $5, counts = $6,
		        invocation_id = $7, dbt_version = $8, artifacts_dir = $9, error_message = $10
		  WHERE run_id = $1`,
		[s.runId, s.status, s.exitCode, s.elapsedS, s.nodeCount, JSON.stringify(s.counts), s.invocationId, s.dbtVersion, s.artifactsDir, s.errorMessage],
	);
	await recordNodeResults(session, s.runId, nodes);
}

/**
 * A read-only run, recorded after dbt exited: the run row (started at `startedAt`) and its node results. Call inside
 * one transaction (withTransaction), so a run is never listed without its results.
 */
export async function recordDbtRunCompleted(tx: pg.ClientBase, e: DbtRunLogEntry, startedAt: Date, s: DbtRunSummary, nodes: DbtNodeResult[]): Promise<void> {
	const selection = e.command.selector ? [`selector:${e.command.selector}`] : e.command.select;
	await tx.query(
		`INSERT INTO dwh_control.dbt_runs (run_id, project, command, selection, exclusion, full_refresh, retry_of, status, exit_code,
		   started_at, finished_at, elapsed_s, node_count, counts, invocation_id, dbt_version, artifacts_dir, error_message, n8n_execution_id)
		 VALUES ($1, $2, $3, $4, $5, false, NULL, $6, $7, $8, now(), $9, $10, $11, $12, $13, $14, $15, $16)`,
		[
			e.runId,
			e.project,
			e.command.command,
			selection,
			e.command.exclude,
			s.status,
			s.exitCode,
			startedAt.toISOString(),
			s.elapsedS,
			s.nodeCount,
			JSON.stringify(s.counts),
			s.invocationId,
			s.dbtVersion,
			s.artifactsDir,
			s.errorMessage,
			e.executionId,
		],
	);
	await recordNodeResults(tx, e.runId, nodes);
}

/** One row per node, in one statement (a full test suite is hundreds of nodes). */
async function recordNodeResults(session: pg.ClientBase, runId: string, nodes: DbtNodeResult[]): Promise<void> {
	if (!nodes.length) return;
	await session.query(
		// Through a function (the migration baseline): dbt's login (dwh_transform) has no privilege on the table itself.
		`SELECT dwh_control.record_dbt_node_results($1, $2::text[], $3::text[], $4::text[], $5::text[], $6::numeric[], $7::timestamptz[],
		   $8::timestamptz[], $9::bigint[], $10::bigint[], $11::numeric[], $12::text[])`,
		[
			runId,
			nodes.map((n) => n.uniqueId),
			nodes.map((n) => n.resourceType),
			nodes.map((n) => n.name),
			nodes.map((n) => n.status),
			nodes.map((n) => n.executionTimeS),
			nodes.map((n) => n.startedAt),
			nodes.map((n) => n.completedAt),
			nodes.map((n) => n.rowsAffected),
			nodes.map((n) => n.failures),
			nodes.map((n) => n.freshnessAgeS),
			nodes.map((n) => n.message),
		],
	);
}
