import type { DbtCommand } from './command.schema';

export interface RunPaths {
	/** This run's --target-path (run_results.json, manifest.json, compiled SQL). */
	targetPath: string;
	/** This run's --log-path (dbt.log). */
	logPath: string;
}

export interface ProjectDirs {
	projectDir: string;
	profilesDir: string;
}

/**
 * The dbt argument vector. Each user value is its own element, so nothing is ever interpreted by a shell, and
 * flags always come from this function, never from user text (selection values are validated not to start
 * with "-", see selection.schema.ts).
 */
export function buildDbtArgs(cmd: DbtCommand, dirs: ProjectDirs, paths: RunPaths): string[] {
	const args = [...cmd.command.split(' ')];
	args.push('--project-dir', dirs.projectDir, '--profiles-dir', dirs.profilesDir);
	args.push('--target-path', paths.targetPath, '--log-path', paths.logPath);
	// JSON on stdout (parsed by the runner) and in <logPath>/dbt.log, where a log shipper picks it up (docs/operations.md).
	args.push('--log-format', 'json', '--log-format-file', 'json', '--no-use-colors', '--no-send-anonymous-usage-stats', '--no-version-check');
	if (cmd.target) args.push('--target', cmd.target);
	if (cmd.threads) args.push('--threads', String(cmd.threads));
	if (cmd.selector) args.push('--selector', cmd.selector);
	if (cmd.select.length) args.push('--select', ...cmd.select.flatMap((s) => s.split(/\s+/).filter(Boolean)));
	if (cmd.exclude.length) args.push('--exclude', ...cmd.exclude.flatMap((s) => s.split(/\s+/).filter(Boolean)));
	if (Object.keys(cmd.vars).length) args.push('--vars', JSON.stringify(cmd.vars));
	if (cmd.fullRefresh) args.push('--full-refresh');
	if (cmd.failFast) args.push('--fail-fast');
	if (cmd.command === 'retry' && cmd.retryOf) args.push('--state', cmd.retryOf);
	return args;
}
