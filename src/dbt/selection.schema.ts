import { z } from 'zod';

/**
 * dbt node-selection grammar, checked before anything is spawned. Selectors may come from a webhook body, so the
 * check is a whitelist of dbt's syntax, not a blacklist of shell characters: an argument array already rules out
 * shell injection, but a value starting with "-" would still be read by dbt as an option (`--profiles-dir /x`),
 * and anything outside the grammar is a mistake the user should hear about by name.
 *
 * One selector criterion (dbt docs "Node selection syntax"):
 *   [@ | N+] [method[.sub]:] value [+N]         value: letters, digits, _ . / * ? - [ ]
 * A selection is criteria joined by spaces (union) or commas (intersection).
 */
const METHODS = [
	'tag',
	'source',
	'path',
	'file',
	'fqn',
	'package',
	'config',
	'test_type',
	'test_name',
	'state',
	'exposure',
	'metric',
	'result',
	'source_status',
	'group',
	'access',
	'version',
	'semantic_model',
	'saved_query',
	'unit_test',
	'resource_type',
	'wildcard',
] as const;

const CRITERION = new RegExp(
	String.raw`^(@|\d{0,3}\+)?` + // parents: @ or N+
		String.raw`(?:(${METHODS.join('|')})(?:\.[A-Za-z0-9_]+)*:)?` + // method, config.materialized, state:modified.body
		String.raw`([A-Za-z0-9_*?\[\]][A-Za-z0-9_.*?/\[\]-]{0,254})` + // value; never starts with '-'
		String.raw`(\+\d{0,3})?$`, // children: + or +N
);

export const MAX_SELECTION_CRITERIA = 200;

/** Splits "a b,c  d" into criteria; commas bind (intersection) so they are validated per part. */
export function selectionCriteria(selection: string): string[] {
	return selection
		.split(/\s+/)
		.filter(Boolean)
		.flatMap((token) => token.split(','));
}

export function selectionProblem(selection: string): string | null {
	if (/[\u0000-\u0008\u000a-\u001f\u007f]/.test(selection)) return 'contains control characters';
	const criteria = selectionCriteria(selection);
	if (criteria.length === 0) return 'is empty';
	if (criteria.length > MAX_SELECTION_CRITERIA) return `has more than ${MAX_SELECTION_CRITERIA} criteria`;
	for (const c of criteria) {
		if (c === '') return 'has an empty part around a comma';
		if (!CRITERION.test(c)) {
			return `has "${c.slice(
				0,
				60,
			)}", which is not a dbt selector (expected e.g. my_model, +my_model+, tag:nightly, source:ledger_db.transactions+, path:models/marts)`;
		}
	}
	return null;
}

/** One --select / --exclude value: dbt selection syntax only. */
export const dbtSelection = (field: string) =>
	z
		.string()
		.trim()
		.superRefine((s, ctx) => {
			const problem = selectionProblem(s);
			if (problem) ctx.addIssue({ code: 'custom', message: `${field} ${problem}` });
		});

/** Names of YAML selectors, targets and vars: identifiers only, so they can never look like an option. */
export const dbtName = (field: string) =>
	z
		.string()
		.trim()
		.regex(/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/, `${field} must be a name (letters, digits, _ or -, not starting with - or a digit)`);

type VarValue = string | number | boolean | null | VarValue[] | { [key: string]: VarValue };

const varKey = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'var names must be identifiers (letters, digits, _)');

const varValue: z.ZodType<VarValue> = z.lazy(() =>
	z.union([
		z
			.string()
			.max(4096, 'var values are limited to 4096 characters')
			.refine((s) => !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(s), 'var values must not contain control characters'),
		z.number().finite(),
		z.boolean(),
		z.null(),
		z.array(varValue).max(1000),
		z.record(varKey, varValue),
	]),
);

/**
 * --vars: a flat-or-nested object of plain values. Serialised as JSON (valid YAML, which is what dbt parses), so
 * no YAML tag or anchor from user input ever reaches dbt's parser. A JSON string is accepted as input too, since
 * that is what an n8n text field or a webhook carries.
 */
export const dbtVars = z.preprocess((v) => {
	if (typeof v !== 'string') return v;
	const t = v.trim();
	if (t === '') return {};
	try {
		return JSON.parse(t);
	} catch {
		return v;
	}
}, z.record(varKey, varValue, { invalid_type_error: 'vars must be a JSON object such as {"start_date": "2026-01-01"}' }));
export type DbtVars = z.output<typeof dbtVars>;
