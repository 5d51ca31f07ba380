import type { z } from 'zod';

/** Bad dbt input: the message lists every problem as `<field path>: <what to fix>`, nothing was started. */
export class DbtInputError extends Error {
	constructor(what: string, readonly issues: { path: string; message: string }[]) {
		super(`invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
		this.name = 'DbtInputError';
	}
}

/** The dbt credential points at no usable project or command (Project Directory, Command Prefix); dbt was not started. */
export class DbtSetupError extends Error {
	name = 'DbtSetupError';
}

/** dbt ran, but an artifact it wrote (run_results.json) could not be read. */
export class DbtArtifactError extends Error {
	name = 'DbtArtifactError';
}

export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
	const r = schema.safeParse(input);
	if (r.success) return r.data;
	throw new DbtInputError(
		what,
		r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
	);
}
