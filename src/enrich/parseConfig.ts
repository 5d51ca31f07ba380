import type { ZodTypeAny, z } from 'zod';

export class EnrichConfigError extends Error {
	constructor(readonly issues: string[], what: string) {
		super(`Invalid ${what} — ${issues.join('; ')}`);
		this.name = 'EnrichConfigError';
	}
}

/** The relation, its columns, the input items or the reference data do not fit what the parameters ask for. */
export class EnrichInputError extends Error {
	name = 'EnrichInputError';
}

/** zod parse whose error lists every problem as "path: message", so the user sees which field to fix. */
export function parseConfig<S extends ZodTypeAny>(schema: S, input: unknown, what: string): z.output<S> {
	const r = schema.safeParse(input);
	if (r.success) return r.data;
	const issues = r.error.issues.map((i) => {
		const path = i.path.join('.');
		return path && !i.message.startsWith(path) ? `${path}: ${i.message}` : i.message;
	});
	throw new EnrichConfigError(issues, what);
}
