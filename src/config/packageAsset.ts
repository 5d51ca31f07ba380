import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

const PACKAGE_NAME = 'n8n-nodes-dataacuity';
let cachedRoot: string | null = null;

/**
 * The pack's root folder: the one whose package.json names this package. Found by walking up from this file because
 * the code runs from three layouts (src/ under tsx and jest, dist/src/ in a checkout, and the installed package in
 * ~/.n8n/nodes/node_modules), and the shipped assets (migrations, registry, policies, dbt project) sit at the root.
 */
export function packageRoot(): string {
	if (cachedRoot) return cachedRoot;
	let dir = __dirname;
	for (;;) {
		const manifest = path.join(dir, 'package.json');
		if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) {
			cachedRoot = dir;
			return dir;
		}
		const parent = path.dirname(dir);
		if (parent === dir) throw new Error(`${PACKAGE_NAME}: no package.json named ${PACKAGE_NAME} above ${__dirname}; is the package installed whole?`);
		dir = parent;
	}
}

/** A file or folder shipped at the package root, e.g. packageAsset('dwh-control-sql', 'migrations'). */
export function packageAsset(...segments: string[]): string {
	return path.join(packageRoot(), ...segments);
}
