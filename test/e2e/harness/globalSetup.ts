import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevStack, type DevStack } from '../../../src/devstack/stack';
import { testEnvState, testS3Kind } from '../../harness/state';
import { ARTIFACTS_DIR, E2E_STATE_ENV, type E2eState, type RuntimeAvailability } from './e2eState';
import { freshCheckoutCopy, runReadmeInstall } from './packInstall';
import { n8nRuntimes, REPO_ROOT } from './runtimes';

declare global {
	// eslint-disable-next-line no-var
	var __DWH_E2E_STACK__: DevStack | undefined;
	// eslint-disable-next-line no-var
	var __DWH_STACK__: DevStack | undefined;
	// eslint-disable-next-line no-var
	var __DWH_E2E_RUN_DIR__: string | undefined;
}

function which(cmd: string): string | null {
	try {
		return execFileSync('which', [cmd]).toString().trim() || null;
	} catch {
		return null;
	}
}

/** Installs a missing runtime with the same script CI uses; idempotent, so it costs nothing when present. */
function ensureRuntime(which: '1' | '2', key: 'n8n1' | 'n8n2'): RuntimeAvailability {
	if (n8nRuntimes()[key].installed) return { available: true };
	try {
		execFileSync('bash', [path.join(REPO_ROOT, 'test/e2e/install-n8n.sh'), which], { stdio: ['ignore', 'inherit', 'pipe'], timeout: 20 * 60_000 });
	} catch (err) {
		const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? '';
		return { available: false, reason: `test/e2e/install-n8n.sh ${which} failed: ${(err as Error).message}\n${stderr.slice(-3000)}` };
	}
	return n8nRuntimes()[key].installed ? { available: true } : { available: false, reason: 'install-n8n.sh finished but the runtime is incomplete' };
}

/**
 * Cold start paid once per run: the n8n runtimes (installed if missing), `npm run build` + `npm pack` of the pack,
 * one community-style install of it (copied into each n8n user folder later), and the dev stack (one Postgres
 * cluster + one S3 server; reused when the integration project already started one in this jest process).
 */
export default async function globalSetup(): Promise<void> {
	const started = Date.now();
	// eslint-disable-next-line no-console
	console.log(`\n[e2e] globalSetup starts at ${new Date(started).toISOString()}`);
	const runDir = mkdtempSync(path.join(os.tmpdir(), 'dwh-e2e-'));
	globalThis.__DWH_E2E_RUN_DIR__ = runDir;
	mkdirSync(ARTIFACTS_DIR, { recursive: true });

	const runtimes = { n8n1: ensureRuntime('1', 'n8n1'), n8n2: ensureRuntime('2', 'n8n2') };
	if (!runtimes.n8n1.available) throw new Error(`n8n 1.123 is required for the e2e suite: ${runtimes.n8n1.reason}`);

	// The pack is installed the way the README tells a user to, once per runtime with that runtime's Node and npm,
	// from a fresh copy of the checkout: every e2e test then runs the pack a README reader would have.
	const checkout = freshCheckoutCopy(path.join(runDir, 'checkout'));
	const n8n1Install = runReadmeInstall(n8nRuntimes().n8n1, checkout, path.join(runDir, 'home-n8n1'));
	const n8n2Install = runtimes.n8n2.available ? runReadmeInstall(n8nRuntimes().n8n2, checkout, path.join(runDir, 'home-n8n2')) : null;
	const tarball = n8n2Install?.tarball ?? n8n1Install.tarball;

	let stack = globalThis.__DWH_STACK__;
	if (!stack) {
		stack = await startDevStack({ s3: testS3Kind(), baseDir: path.join(runDir, 'stack') });
		globalThis.__DWH_E2E_STACK__ = stack;
	}
	const state: E2eState = {
		runDir,
		tarball,
		nodesDirs: { n8n1: n8n1Install.nodesDir, n8n2: n8n2Install?.nodesDir ?? null },
		stack: testEnvState(stack),
		runtimes,
		redisServer: which('redis-server'),
		chromium: existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : which('chromium'),
	};
	const stateFile = path.join(runDir, 'e2e-state.json');
	writeFileSync(stateFile, JSON.stringify(state, null, 2));
	process.env[E2E_STATE_ENV] = stateFile;
	// eslint-disable-next-line no-console
	console.log(
		`\n[e2e] README install of ${path.basename(tarball)}: Node 20 ${n8n1Install.seconds} s, Node 24 ${
			n8n2Install ? `${n8n2Install.seconds} s` : 'UNAVAILABLE'
		}; ` + `postgres :${stack.postgres.port}, ${stack.s3.kind} ${stack.s3.endpoint}; setup ${Math.round((Date.now() - started) / 1000)} s`,
	);
}
