import { z } from 'zod';
import { sqlIdentifier } from './identifiers';

export const runStatuses = ['extracting', 'uploaded', 'loading', 'loaded', 'failed', 'skipped'] as const;
export type RunStatus = (typeof runStatuses)[number];

/**
 * Window bounds are Postgres timestamptz text (e.g. '2026-11-24 10:15:00.123456+00'), never JS Dates:
 * a Date would drop microseconds and a watermark that loses precision re-extracts or skips rows. '-infinity' is the
 * watermark of a table not read yet (its first window has no lower bound).
 */
export const timestamptzText = z
	.string()
	.regex(
		/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)?$|^-infinity$/,
		'must be a timestamptz such as 2026-11-24 10:15:00.123456+00',
	);

export const extractWindowSchema = z.object({
	lower: timestamptzText.nullable(),
	upper: timestamptzText.nullable(),
	/** Which bound held `upper` back: safety_lag, in_flight_transaction, replay_lag, prepared_transaction, or snapshot. */
	upperCappedBy: z.string().nullable().default(null),
});
export type ExtractWindow = z.output<typeof extractWindowSchema>;

export const loadRequestSchema = z.object({
	table: sqlIdentifier('table'),
	runId: z.coerce.number({ invalid_type_error: 'runId must be the extract run id (a number)' }).int().positive(),
	csvPath: z.string().min(1, 'csvPath is required (s3://bucket/<prefix>/exports/<table>/<file>.csv)'),
	executionId: z.string().optional(),
});
export type LoadRequest = z.output<typeof loadRequestSchema>;

export const loadResultSchema = z.object({
	table: z.string(),
	runId: z.number().int(),
	status: z.enum(['loaded', 'already_loaded', 'failed']),
	rowsInCsv: z.number().int(),
	rowsInserted: z.number().int(),
	rowsUpdated: z.number().int(),
	rowsUnchanged: z.number().int(),
	rowsDeleted: z.number().int(),
	watermark: timestamptzText.nullable(),
	processedPath: z.string().nullable(),
	message: z.string().default(''),
});
export type LoadResult = z.output<typeof loadResultSchema>;

/** What WatermarkExtract emits per table, and what BlobLoadBronze (and the load sub-workflow) takes. Never row data. */
export const extractResultSchema = z.object({
	table: sqlIdentifier('table'),
	runId: z.coerce.number().int().positive().nullable(),
	status: z.enum(runStatuses),
	window: extractWindowSchema,
	rows: z.number().int().min(0),
	csvPath: z.string().nullable(),
	bytes: z.number().int().min(0),
	sha256: z.string().nullable(),
	message: z.string().default(''),
	/** Set when the table was loaded while it was extracted (Watermark Extract's Load While Extracting). */
	load: loadResultSchema.optional(),
});
export type ExtractResult = z.output<typeof extractResultSchema>;
