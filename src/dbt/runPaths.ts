import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunPaths } from './buildArgs';

export interface RunDirs extends RunPaths {
	runId: string;
	/** The run's own directory: <artifactsRoot>/<runId>; target/ and logs/ live inside. */
	artifactsDir: string;
}

export function defaultArtifactsRoot(): string {
	return process.env.DWH_DBT_ARTIFACTS_DIR || path.join(os.tmpdir(), 'dataacuity-dbt-runs');
}

/**
 * Every run writes run_results.json, manifest.json and dbt.log into its own directory, named by a sortable time
 * plus random suffix, so two concurrent runs (or an n8n retry racing the original) never read each other's
 * results. Old directories are the operator's to prune (docs/dbt.md); they are also what `retry` reads.
 */
export function createRunDirs(artifactsRoot = defaultArtifactsRoot(), now = new Date()): RunDirs {
	const stamp = now
		.toISOString()
		.replace(/[-:]/g, '')
		.replace(/\.\d+Z$/, 'Z');
	const runId = `${stamp}-${randomBytes(4).toString('hex')}`;
	const artifactsDir = path.join(artifactsRoot, runId);
	const targetPath = path.join(artifactsDir, 'target');
	const logPath = path.join(artifactsDir, 'logs');
	mkdirSync(targetPath, { recursive: true });
	mkdirSync(logPath, { recursive: true });
	return { runId, artifactsDir, targetPath, logPath };
}
