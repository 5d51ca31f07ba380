import type { DbtRunStatus } from './runOutcome';

/**
 * dbt's documented exit codes: 0 everything succeeded; 1 the invocation completed but a node failed (a handled
 * error: a model's SQL error, a failing test); 2 dbt itself crashed (bad profile, unparsable project, no
 * database). Anything else (a signal, a missing prefix binary) is a crash too.
 */
export function statusFromExitCode(code: number | null): DbtRunStatus {
	if (code === 0) return 'success';
	if (code === 1) return 'failed';
	return 'error';
}
