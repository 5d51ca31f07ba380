import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The two pinned n8n runtimes the pack must load and run in, installed by test/e2e/install-n8n.sh into
 * .cache/n8n (outside the pack's dependency tree). `key` names them in test titles and state files.
 */
export interface N8nRuntime {
	key: 'n8n1' | 'n8n2';
	label: string;
	/** Absolute path of the node binary that runs this n8n. */
	node: string;
	/** n8n's bin script (run as `node <bin> <command>`). */
	bin: string;
	/** Prepended to PATH so the task runner n8n spawns gets the same node. */
	pathPrefix: string;
	/** Environment this runtime needs on top of the common one. */
	env: Record<string, string>;
	installed: boolean;
}

/** Both runtimes, for `describe.each`: every e2e file runs its one body on each. */
export const RUNTIME_KEYS = ['n8n1', 'n8n2'] as const;

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const N8N_CACHE = process.env.DWH_N8N_CACHE ?? path.join(REPO_ROOT, '.cache/n8n');

function installedMarker(dir: string): boolean {
	return existsSync(dir) && readdirSync(dir).some((f) => f.startsWith('.installed-'));
}

export function n8nRuntimes(): Record<N8nRuntime['key'], N8nRuntime> {
	const v1 = path.join(N8N_CACHE, '1.123');
	const v2 = path.join(N8N_CACHE, '2.x');
	const node24Bin = path.join(N8N_CACHE, 'node24/node_modules/.bin');
	return {
		n8n1: {
			key: 'n8n1',
			label: 'n8n 1.123 on Node 20',
			node: process.execPath,
			bin: path.join(v1, 'node_modules/n8n/bin/n8n'),
			pathPrefix: path.dirname(process.execPath),
			// Measured: the new expression engine needs isolated-vm, which does not build on Node 20.
			env: { N8N_EXPRESSION_ENGINE: 'legacy' },
			installed: installedMarker(v1) && existsSync(path.join(v1, 'node_modules/n8n/bin/n8n')),
		},
		n8n2: {
			key: 'n8n2',
			label: 'n8n 2.x on Node 24',
			node: path.join(node24Bin, 'node'),
			bin: path.join(v2, 'node_modules/n8n/bin/n8n'),
			pathPrefix: node24Bin,
			// 2.x refreshes a catalogue of MCP servers from api.n8n.io in the background (measured: the only outbound call
			// of an idle 2.41 main with the settings n8nEnv switches off); the tests' n8n stays on loopback.
			env: { N8N_DISABLED_MODULES: 'mcp-registry' },
			installed: installedMarker(v2) && existsSync(path.join(node24Bin, 'node')) && existsSync(path.join(v2, 'node_modules/n8n/bin/n8n')),
		},
	};
}
