/**
 * The output shape shared by both backends (dbt Core CLI and dbt Cloud): one item per dbt node plus one summary.
 * Workflows branch on `summary.status`; per-node items are what an incident responder reads.
 */
export type DbtRunStatus = 'success' | 'failed' | 'error';

export interface DbtNodeResult {
	kind: 'node';
	uniqueId: string;
	resourceType: string;
	name: string;
	/** dbt's own status: success | error | skipped (models), pass | fail | warn | error (tests, freshness). */
	status: string;
	executionTimeS: number;
	startedAt: string | null;
	completedAt: string | null;
	rowsAffected: number | null;
	/** dbt's message: "SELECT 300", "Got 3 results, configured to warn if != 0", or the database error. */
	message: string | null;
	failures: number | null;
	relation: string | null;
	/** Source freshness: seconds since the newest loaded row (dbt's max_loaded_at_time_ago_in_s); null otherwise. */
	freshnessAgeS: number | null;
}

export interface DbtRunSummary {
	kind: 'summary';
	backend: 'core' | 'cloud';
	/** Our id for the run (artifacts directory name, lock holder, dbt Cloud run id for the cloud backend). */
	runId: string;
	command: string;
	status: DbtRunStatus;
	/** dbt's exit code (core) — 0 success, 1 handled failure, 2 crash; null for cloud. */
	exitCode: number | null;
	elapsedS: number;
	/** Node count per dbt status, e.g. { success: 3, pass: 35, warn: 1 }. */
	counts: Record<string, number>;
	nodeCount: number;
	invocationId: string | null;
	dbtVersion: string | null;
	/** Where this run's run_results.json, manifest.json and dbt.log are (core); pass it as retryOf to retry. */
	artifactsDir: string | null;
	/** First error dbt reported (a failing model's database error, or why dbt crashed). */
	errorMessage: string | null;
	/** The dbt Cloud run page, for the cloud backend. */
	url?: string | null;
	/** Set when a writing Core run could not be recorded in dwh_control.dbt_runs, saying why. */
	runLogError?: string;
}

export interface DbtRunOutcome {
	summary: DbtRunSummary;
	nodes: DbtNodeResult[];
}

/** Node statuses that make a run 'failed' even when every process exited cleanly. */
export const FAILING_NODE_STATUSES = new Set(['error', 'fail', 'runtime error']);

export function countStatuses(nodes: DbtNodeResult[]): Record<string, number> {
	const counts: Record<string, number> = {};
	for (const n of nodes) counts[n.status] = (counts[n.status] ?? 0) + 1;
	return counts;
}

export function firstNodeError(nodes: DbtNodeResult[]): string | null {
	const bad = nodes.find((n) => FAILING_NODE_STATUSES.has(n.status));
	return bad ? `${bad.uniqueId}: ${bad.message ?? bad.status}` : null;
}
