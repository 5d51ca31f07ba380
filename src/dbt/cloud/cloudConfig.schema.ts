import { z } from 'zod';
import { dbtName, dbtSelection, dbtVars } from '../selection.schema';
import { DbtInputError } from '../validationError';

/** dbt Cloud account access (from the DataAcuity dbt credential). */
export const dbtCloudConfigSchema = z.object({
	/** Account's API host, e.g. https://cloud.getdbt.com or a regional / single-tenant URL. */
	baseUrl: z
		.string()
		.url('dbt Cloud base URL must be a URL such as https://cloud.getdbt.com')
		.transform((u) => u.replace(/\/+$/, '')),
	accountId: z.coerce.number({ invalid_type_error: 'dbt Cloud account id must be a number' }).int().positive('dbt Cloud account id must be a positive number'),
	token: z.string().min(1, 'dbt Cloud API token is required (Account settings → API tokens)'),
	pollIntervalMs: z.number().int().min(50).default(10_000),
	/** Give up waiting (the job keeps running in dbt Cloud) after this long. */
	timeoutMs: z
		.number()
		.int()
		.min(1000)
		.default(2 * 3600_000),
});
export type DbtCloudConfig = z.output<typeof dbtCloudConfigSchema>;
export type DbtCloudConfigInput = z.input<typeof dbtCloudConfigSchema>;

/** One job trigger. The optional overrides become the job's steps_override (validated like the CLI's). */
export const dbtCloudJobSchema = z
	.object({
		jobId: z.coerce.number({ invalid_type_error: 'job id must be a number' }).int().positive('job id must be a positive number'),
		cause: z.string().min(1).max(255).default('Triggered by n8n (DataAcuity DbtRun)'),
		gitBranch: z
			.string()
			.regex(/^[A-Za-z0-9._/-]{1,200}$/, 'gitBranch must be a branch name')
			.optional(),
		command: z.enum(['build', 'run', 'test', 'seed', 'source freshness']).optional(),
		select: z.array(dbtSelection('select')).default([]),
		exclude: z.array(dbtSelection('exclude')).default([]),
		selector: dbtName('selector').optional(),
		vars: dbtVars.default({}),
		fullRefresh: z.boolean().default(false),
	})
	.strict();
export type DbtCloudJob = z.output<typeof dbtCloudJobSchema>;
export type DbtCloudJobInput = z.input<typeof dbtCloudJobSchema>;

/**
 * steps_override for a job trigger, or undefined to run the job's own steps. dbt Cloud splits a step like a shell
 * command line, so every word here is either a fixed flag or a validated selector; vars go in single quotes and
 * therefore must not contain one.
 */
export function cloudStepsOverride(job: DbtCloudJob): string[] | undefined {
	const hasOverride = job.command || job.select.length || job.exclude.length || job.selector || Object.keys(job.vars).length || job.fullRefresh;
	if (!hasOverride) return undefined;
	const words = ['dbt', ...(job.command ?? 'build').split(' ')];
	if (job.selector) words.push('--selector', job.selector);
	if (job.select.length) words.push('--select', ...job.select.flatMap((s) => s.split(/\s+/)));
	if (job.exclude.length) words.push('--exclude', ...job.exclude.flatMap((s) => s.split(/\s+/)));
	if (Object.keys(job.vars).length) {
		const json = JSON.stringify(job.vars);
		if (json.includes("'")) throw new DbtInputError('dbt Cloud step', [{ path: 'vars', message: "must not contain a single quote (') character" }]);
		words.push('--vars', `'${json}'`);
	}
	if (job.fullRefresh) words.push('--full-refresh');
	return [words.join(' ')];
}
