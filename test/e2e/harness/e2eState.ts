import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TestEnvState } from '../../harness/state';
import { REPO_ROOT } from './runtimes';

/**
 * Written by the e2e globalSetup into its own temp dir and passed to the test files in DWH_E2E_STATE (jest runs
 * them in their own module registries). Never a fixed path: engineers run the suite side by side in one checkout,
 * and a shared file let one run's tests talk to another run's servers.
 */
export const E2E_STATE_ENV = 'DWH_E2E_STATE';
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts/e2e');

export interface RuntimeAvailability {
	available: boolean;
	/** Why not, when not (the install's error). */
	reason?: string;
}

export interface E2eState {
	/** Scratch directory of this run: user folders, generated credential files, logs. */
	runDir: string;
	/** The tarball the README's install block packed. */
	tarball: string;
	/** Per runtime, the `~/.n8n/nodes` the README's install block produced with that runtime's npm (null: no runtime). */
	nodesDirs: { n8n1: string; n8n2: string | null };
	stack: TestEnvState;
	runtimes: { n8n1: RuntimeAvailability; n8n2: RuntimeAvailability };
	redisServer: string | null;
	chromium: string | null;
}

let cached: E2eState | null = null;

export function e2eState(): E2eState {
	if (cached) return cached;
	const file = process.env[E2E_STATE_ENV];
	if (!file) throw new Error(`No e2e environment: ${E2E_STATE_ENV} is not set. Run the e2e tests through jest (npm run test:e2e), whose globalSetup sets it.`);
	cached = JSON.parse(readFileSync(file, 'utf8')) as E2eState;
	return cached;
}

/** Under CI=true a missing component fails the test; on a developer machine the test is reported as skipped. */
export const isCI = () => process.env.CI === 'true';
