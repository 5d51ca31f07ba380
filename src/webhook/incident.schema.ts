import { z } from 'zod';

/** Names Wolverine may send for impacted relations: a bronze table or a dbt model, never free text. */
const sourceRef = z
	.string()
	.trim()
	.regex(
		/^(raw\.)?[a-z_][a-z0-9_]{0,62}(\.|__)[a-z_][a-z0-9_]{0,62}$/,
		'impacted.sources entries must name a bronze table: <source_db>.<table>, <source_db>__<table> or raw.<source_db>__<table>',
	);
const modelRef = z
	.string()
	.trim()
	.regex(/^[a-z_][a-z0-9_]{0,126}$/, 'impacted.models entries must be dbt model names (lower-case letters, digits, _)');

const SEVERITY_ALIASES: Record<string, 'P1' | 'P2' | 'P3' | 'P4'> = {
	p1: 'P1',
	critical: 'P1',
	sev1: 'P1',
	p2: 'P2',
	high: 'P2',
	sev2: 'P2',
	p3: 'P3',
	medium: 'P3',
	sev3: 'P3',
	p4: 'P4',
	low: 'P4',
	sev4: 'P4',
};

/**
 * A Wolverine incident as POSTed to the rerun webhook: which sources or models it impacts and how bad it is.
 * Unknown top-level fields are allowed (Wolverine sends more than we read); the fields we use are strict.
 */
export const wolverineIncidentSchema = z
	.object({
		incident_id: z
			.string({ required_error: 'incident_id is required' })
			.trim()
			.regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/, 'incident_id must be 1-100 letters, digits, _ . : -'),
		severity: z.string({ required_error: 'severity is required (P1-P4 or critical/high/medium/low)' }).transform((s, ctx) => {
			const v = SEVERITY_ALIASES[s.trim().toLowerCase()];
			if (!v) ctx.addIssue({ code: 'custom', message: `severity "${s}" is not one of P1-P4, critical, high, medium, low` });
			return v ?? 'P4';
		}),
		title: z.string().max(500).optional(),
		occurred_at: z.string().datetime({ offset: true, message: 'occurred_at must be an ISO-8601 timestamp' }).optional(),
		impacted: z
			.object({
				sources: z.array(sourceRef).max(100).default([]),
				tables: z.array(sourceRef).max(100).default([]),
				models: z.array(modelRef).max(100).default([]),
				/** Also rebuild what depends on the impacted models (sources always include their downstream). */
				include_downstream: z.boolean().default(false),
			})
			.strict(),
	})
	.passthrough()
	.superRefine((i, ctx) => {
		if (!i.impacted.sources.length && !i.impacted.tables.length && !i.impacted.models.length) {
			ctx.addIssue({ code: 'custom', path: ['impacted'], message: 'impacted must name at least one source, table or model' });
		}
	});
export type WolverineIncident = z.output<typeof wolverineIncidentSchema>;
export type WolverineIncidentInput = z.input<typeof wolverineIncidentSchema>;
