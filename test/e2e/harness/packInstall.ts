import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { N8nRuntime } from './runtimes';
import { REPO_ROOT } from './runtimes';

export const PACKAGE_NAME = 'n8n-nodes-dataacuity';

/** The README marks the install block it promises works with this comment on the line before the fence. */
export const README_INSTALL_MARKER = '<!-- e2e: the install block -->';

/**
 * The shell lines of the README's install block, exactly as a reader copies them. Throws when the README has lost
 * the block, so the README cannot drift away from what the e2e suite installs.
 */
export function readmeInstallBlock(readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8')): string {
	const lines = readme.split('\n');
	const at = lines.findIndex((l) => l.trim() === README_INSTALL_MARKER);
	if (at < 0) throw new Error(`README.md has no line "${README_INSTALL_MARKER}" before its install block`);
	const open = lines.findIndex((l, i) => i > at && l.startsWith('```'));
	const close = lines.findIndex((l, i) => i > open && l.startsWith('```'));
	if (open !== at + 1 || close < 0) throw new Error(`README.md: the line after "${README_INSTALL_MARKER}" must open a fenced code block`);
	return lines.slice(open + 1, close).join('\n') + '\n';
}

/**
 * A copy of the checkout as a new user clones it: tracked files plus new, not-ignored ones (the change under test),
 * without node_modules, dist/ or any other build output.
 */
export function freshCheckoutCopy(dest: string): string {
	mkdirSync(dest, { recursive: true });
	const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT })
		.toString()
		.split('\0')
		.filter((f) => f && existsSync(path.join(REPO_ROOT, f)));
	const tarball = execFileSync('tar', ['-cf', '-', '--null', '-T', '-'], { cwd: REPO_ROOT, input: files.join('\0'), maxBuffer: 1024 * 1024 * 1024 });
	execFileSync('tar', ['-xf', '-'], { cwd: dest, input: tarball });
	return dest;
}

/**
 * The environment a user on this machine has: the machine's (its proxy and CA settings included), without what jest
 * and `npm exec` add (npm_* lifecycle variables, this checkout's node_modules/.bin on PATH), with the runtime's node
 * first on PATH and a new home. npm only reads the machine-wide npmrc of its own prefix, so a runtime from elsewhere
 * (Node 24 here) gets the machine's CA file passed explicitly; only the download cache is shared.
 */
function userEnvironment(runtime: N8nRuntime, homeDir: string): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|JEST_|INIT_CWD$|NODE_ENV$)/i.test(k)) env[k] = v;
	env.PATH = [runtime.pathPrefix, ...(process.env.PATH ?? '').split(':').filter((d) => d && !d.includes('node_modules'))].join(':');
	env.HOME = homeDir;
	env.npm_config_cache = path.join(os.homedir(), '.npm');
	env.npm_config_update_notifier = 'false';
	const cafile = machineNpmCafile();
	if (cafile) env.npm_config_cafile = cafile;
	return env;
}

function machineNpmCafile(): string | null {
	try {
		const value = execFileSync('npm', ['config', 'get', 'cafile'], { cwd: os.homedir(), stdio: ['ignore', 'pipe', 'ignore'] })
			.toString()
			.trim();
		return value && value !== 'null' && value !== 'undefined' && existsSync(value) ? value : null;
	} catch {
		return null;
	}
}

export interface ReadmeInstall {
	/** `~/.n8n/nodes` of the home the block ran in: what an n8n started by that user loads. */
	nodesDir: string;
	/** The tarball the block packed. */
	tarball: string;
	/** How long the block took (build, pack, install), for the setup log. */
	seconds: number;
}

/**
 * Runs the README's install block, as written, with bash -e in `checkout` (a fresh copy), HOME = a new empty home, and
 * the runtime's node first on PATH — the npm a user runs is the one of the Node that runs their n8n. Only the npm cache
 * is shared with the machine's (a new user's cache is cold; sharing it only saves downloads).
 */
export function runReadmeInstall(runtime: N8nRuntime, checkout: string, homeDir: string): ReadmeInstall {
	const started = Date.now();
	mkdirSync(homeDir, { recursive: true });
	const script = `set -euo pipefail\n${readmeInstallBlock()}`;
	try {
		execFileSync('bash', ['-c', script], {
			cwd: checkout,
			stdio: ['ignore', 'pipe', 'pipe'],
			maxBuffer: 64 * 1024 * 1024,
			timeout: 15 * 60_000,
			env: userEnvironment(runtime, homeDir),
		});
	} catch (err) {
		const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
		throw new Error(
			`The README's install block failed for ${runtime.label} (HOME=${homeDir}, cwd=${checkout}): ${e.message}\n` +
				`${e.stdout?.toString().slice(-3000) ?? ''}\n${e.stderr?.toString().slice(-5000) ?? ''}`,
		);
	}
	const nodesDir = path.join(homeDir, '.n8n', 'nodes');
	const installed = path.join(nodesDir, 'node_modules', PACKAGE_NAME, 'package.json');
	if (!existsSync(installed)) throw new Error(`The README's install block ran for ${runtime.label} but ${installed} does not exist`);
	const version = (JSON.parse(readFileSync(installed, 'utf8')) as { version: string }).version;
	return { nodesDir, tarball: path.join(checkout, `${PACKAGE_NAME}-${version}.tgz`), seconds: Math.round((Date.now() - started) / 1000) };
}

/**
 * Points an n8n user folder's nodes folder at the runtime's README install (a symlink: the install is thousands of
 * small files, and copying then deleting it per instance cost most of a minute on these machines).
 */
export function linkNodesFolder(fromNodesDir: string, userFolder: string): void {
	const to = path.join(userFolder, '.n8n', 'nodes');
	mkdirSync(path.dirname(to), { recursive: true });
	symlinkSync(fromNodesDir, to, 'dir');
}
