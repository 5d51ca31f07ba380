import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { ObjectStoreConfig } from '../../src/config/connection.schema';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface CliResult {
	code: number;
	stdout: string;
	stderr: string;
}

/**
 * Runs an operator CLI (`src/cli/<script>.ts`) as a child process, the way `npm run dwh:*` does. The environment is
 * the test's own without the variables in `unset` (so a developer's DWH_* settings cannot leak in), plus `env`. A
 * non-zero exit is returned, not thrown: tests assert the code and the text.
 */
export async function runCli(script: string, args: string[], opts: { env?: Record<string, string>; unset?: string[]; timeoutMs: number }): Promise<CliResult> {
	const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !(opts.unset ?? []).includes(k)));
	try {
		const r = await run(TSX, [path.join(ROOT, `src/cli/${script}.ts`), ...args], { cwd: ROOT, env: { ...inherited, ...opts.env }, timeout: opts.timeoutMs });
		return { code: 0, stdout: r.stdout, stderr: r.stderr };
	} catch (err) {
		const e = err as CliResult;
		return { code: e.code, stdout: e.stdout, stderr: e.stderr };
	}
}

/** An object store as the CLIs read it from their environment (src/cli/objectStoreEnv.ts): the DWH_S3_* variables. */
export function objectStoreEnv(s: ObjectStoreConfig): Record<string, string> {
	const vars = {
		DWH_S3_ENDPOINT: s.endpoint,
		DWH_S3_REGION: s.region,
		DWH_S3_BUCKET: s.bucket,
		DWH_S3_PREFIX: s.prefix,
		DWH_S3_ACCESS_KEY_ID: s.accessKeyId,
		DWH_S3_SECRET_ACCESS_KEY: s.secretAccessKey,
	};
	return Object.fromEntries(Object.entries(vars).map(([name, value]) => [name, value ?? '']));
}
