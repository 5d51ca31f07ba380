import { z } from 'zod';
import { dbtName, dbtSelection, dbtVars } from './selection.schema';

export const dbtCommands = ['build', 'run', 'test', 'source freshness', 'seed', 'retry'] as const;
export type DbtCommandName = (typeof dbtCommands)[number];

/** Commands that create or replace relations: only one of them may run per project at a time (see projectLock). */
export const WRITING_COMMANDS: ReadonlySet<DbtCommandName> = new Set(['build', 'run', 'seed', 'retry']);

/** What to run. Everything here may come from a workflow or a webhook, so all of it is validated. */
export const dbtCommandSchema = z
	.object({
		command: z.enum(dbtCommands, { errorMap: () => ({ message: `command must be one of: ${dbtCommands.join(', ')}` }) }),
		select: z.array(dbtSelection('select')).default([]),
		exclude: z.array(dbtSelection('exclude')).default([]),
		/** A YAML selector defined in the project's selectors.yml. */
		selector: dbtName('selector').optional(),
		vars: dbtVars.default({}),
		fullRefresh: z.boolean().default(false),
		/** Profile target; the profile's default when absent. */
		target: dbtName('target').optional(),
		threads: z.coerce.number().int().min(1, 'threads must be at least 1').max(64, 'threads must be at most 64').optional(),
		failFast: z.boolean().default(false),
		/** For `retry`: the artifacts directory of the run to retry (a previous summary's artifactsDir). */
		retryOf: z.string().min(1).optional(),
	})
	.strict()
	.superRefine((c, ctx) => {
		if (c.selector && (c.select.length || c.exclude.length)) {
			ctx.addIssue({ code: 'custom', path: ['selector'], message: 'use either selector or select/exclude, not both (dbt ignores one of them)' });
		}
		if (c.fullRefresh && !['build', 'run', 'seed'].includes(c.command)) {
			ctx.addIssue({ code: 'custom', path: ['fullRefresh'], message: `fullRefresh applies to build, run and seed, not ${c.command}` });
		}
		if (c.command === 'retry' && !c.retryOf) {
			ctx.addIssue({ code: 'custom', path: ['retryOf'], message: 'retry needs retryOf: the artifactsDir of the run to retry (from its summary item)' });
		}
		if (c.command !== 'retry' && c.retryOf) {
			ctx.addIssue({ code: 'custom', path: ['retryOf'], message: 'retryOf only applies to the retry command' });
		}
	});
export type DbtCommand = z.output<typeof dbtCommandSchema>;
export type DbtCommandInput = z.input<typeof dbtCommandSchema>;
