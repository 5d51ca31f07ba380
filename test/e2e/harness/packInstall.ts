import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './runtimes';

export const PACKAGE_NAME = 'n8n-nodes-dataacuity';

function run(cmd: string, args: string[], cwd: string): string {
	try {
		return execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 }).toString();
	} catch (err) {
		const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
		throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout?.toString().slice(-4000) ?? ''}\n${e.stderr?.toString().slice(-4000) ?? ''}`);
	}
}

/**
 * Builds the pack (`npm run build`) and `npm pack`s it; returns the tarball's path. DWH_E2E_PREBUILT=1 packs the
 * dist/ already there instead (a developer iterating on tests; CI never sets it).
 */
export function buildAndPack(outDir: string): string {
	if (process.env.DWH_E2E_PREBUILT !== '1') run('npm', ['run', 'build', '--silent'], REPO_ROOT);
	mkdirSync(outDir, { recursive: true });
	const out = run('npm', ['pack', '--silent', '--pack-destination', outDir], REPO_ROOT)
		.trim()
		.split('\n')
		.pop()!;
	return path.join(outDir, out);
}

/**
 * Installs the tarball the way n8n's own community-package install does (n8n 1.123
 * CommunityPackagesService.downloadPackage): unpack into <nodesDir>/node_modules/<pkg>, drop dev/peer/optional
 * dependencies from its package.json, `npm install` its runtime dependencies inside it with scripts off, and record
 * it in <nodesDir>/package.json. n8n then loads it with node types `n8n-nodes-dataacuity.<node>`.
 */
export function installPackLikeCommunityPackage(tarball: string, nodesDir: string): string {
	const pkgDir = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	rmSync(pkgDir, { recursive: true, force: true });
	mkdirSync(pkgDir, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
	const manifestPath = path.join(pkgDir, 'package.json');
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
	void devDependencies;
	void peerDependencies;
	void optionalDependencies;
	writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	run('npm', ['install', '--audit=false', '--fund=false', '--bin-links=false', '--install-strategy=shallow', '--ignore-scripts=true', '--package-lock=false', '--prefer-offline', '--loglevel=error'], pkgDir);
	writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: manifest.version } }, null, 2),
	);
	return pkgDir;
}

/**
 * Points an n8n user folder's nodes folder at the one community-style install (a symlink: the install is ~10k small
 * files, and copying then deleting it per instance cost most of a minute on these machines).
 */
export function linkNodesFolder(fromNodesDir: string, userFolder: string): void {
	const to = path.join(userFolder, '.n8n', 'nodes');
	mkdirSync(path.dirname(to), { recursive: true });
	symlinkSync(fromNodesDir, to, 'dir');
}
