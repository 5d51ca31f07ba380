import { z } from 'zod';

/**
 * The replay settings of the incident webhook. A signed request is accepted while its timestamp is within
 * Max Request Age of now, either way, so one captured request stays valid for 2 × Max Request Age. The incident
 * de-duplication must cover that whole span, or a replay after the window re-claims the incident; a window of 0
 * (off) or shorter is refused here, before any request is looked at. (Each request's own signature is also
 * remembered until it expires — `requestClaim.ts` — whatever the window.)
 */
export const incidentGateSchema = z
	.object({
		dedupWindowSeconds: z.number({ invalid_type_error: 'Duplicate Window (Seconds) must be a number' }).int('Duplicate Window (Seconds) must be whole seconds'),
		toleranceSeconds: z
			.number({ invalid_type_error: 'Max Request Age (Seconds) must be a number' })
			.int('Max Request Age (Seconds) must be whole seconds')
			.min(1, 'Max Request Age (Seconds) must be at least 1')
			.max(
				3600,
				'Max Request Age (Seconds) must be at most 3600 (an hour of clock skew and delivery delay); a larger value keeps a captured request valid for longer',
			),
	})
	.superRefine((g, ctx) => {
		if (g.dedupWindowSeconds < 2 * g.toleranceSeconds) {
			ctx.addIssue({
				code: 'custom',
				path: ['dedupWindowSeconds'],
				message:
					`Duplicate Window (Seconds) is ${g.dedupWindowSeconds} but must be at least twice Max Request Age (Seconds) = ${2 * g.toleranceSeconds}: ` +
					'a signed request is accepted from Max Request Age before to Max Request Age after its timestamp, so a shorter window (or 0) lets a replayed request start the incident again. ' +
					`Set Duplicate Window to ${2 * g.toleranceSeconds} or more, or lower Max Request Age.`,
			});
		}
	});
export type IncidentGate = z.output<typeof incidentGateSchema>;

/** The settings, or an Error whose message names each bad field and the fix. */
export function parseIncidentGate(input: { dedupWindowSeconds: unknown; toleranceSeconds: unknown }): IncidentGate {
	const r = incidentGateSchema.safeParse(input);
	if (r.success) return r.data;
	throw new IncidentGateError(r.error.issues.map((i) => i.message));
}

export class IncidentGateError extends Error {
	constructor(readonly problems: string[]) {
		super(`Invalid incident webhook settings: ${problems.join('; ')}`);
		this.name = 'IncidentGateError';
	}
}
