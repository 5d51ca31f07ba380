import { z } from 'zod';

/** How a reconcile compares a table (docs/reconcile.md). The defaults keep each statement to about one segment. */
export const reconcileOptionsSchema = z
	.object({
		/** Re-extract missing and stale keys, and apply the table's on_source_delete policy to keys deleted at the source. */
		repair: z.boolean().default(false),
		/** Rows per top-level key range: the most any one aggregate statement reads on a side (bounded snapshot). */
		segmentRows: z
			.number({ invalid_type_error: 'segmentRows must be a number' })
			.int()
			.min(100, 'segmentRows must be at least 100')
			.max(10_000_000)
			.default(10_000),
		/** A differing range with at most this many rows is settled by fetching its keys. */
		leafRows: z.number().int().min(1, 'leafRows must be at least 1').max(100_000).default(1_000),
		/** Sub-ranges a differing range is cut into. */
		fanout: z.number().int().min(2, 'fanout must be at least 2').max(256).default(16),
		/** Ranges compared at once; capped by both credentials' max connections. */
		parallel: z.number().int().min(1, 'parallel must be at least 1').max(64).default(2),
		/** Stop after this many differing keys: more means a reseed (reset_watermark), not a repair by key. */
		maxFindings: z.number().int().min(1, 'maxFindings must be at least 1').max(1_000_000).default(10_000),
		/** Folder of the anonymisation policies that say which tables hold personal data; default: the package's policies/. */
		policiesDir: z.string().min(1, 'policiesDir must name a folder (or be left out for the packaged policies)').optional(),
	})
	.strict();

export type ReconcileOptions = z.output<typeof reconcileOptionsSchema>;
export type ReconcileOptionsInput = z.input<typeof reconcileOptionsSchema>;
