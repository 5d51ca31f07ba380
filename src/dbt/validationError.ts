import type { z } from 'zod';

/** Bad dbt input: the message lists every problem as `<field path>: <what to fix>`, nothing was started. */
export class DbtInputError extends Error {
	constructor(
		what: string,
		readonly issues: { path: string; message: string }[],
	) {
		super(`invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
		this.name = 'DbtInputError';
	}
}

export function parseInput<S extends z.ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
	const r = schema.safeParse(input);
	if (r.success) return r.data;
	throw new DbtInputError(what, r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}
