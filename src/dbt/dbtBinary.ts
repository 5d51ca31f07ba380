import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../config/packageAsset';

/** The reference dbt project shipped with the pack (dbt/ at the package root). */
export function referenceProjectDir(): string {
	return path.join(packageRoot(), 'dbt');
}

/**
 * Which dbt to run: an explicit path (credential), else DWH_DBT_BIN, else the project virtualenv that
 * .ci/install.d/dbt.sh creates, else `dbt` on PATH.
 */
export function resolveDbtBinary(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
	if (explicit && explicit.trim()) return explicit.trim();
	if (env.DWH_DBT_BIN) return env.DWH_DBT_BIN;
	const venv = path.join(packageRoot(), '.venv', 'bin', 'dbt');
	return existsSync(venv) ? venv : 'dbt';
}
