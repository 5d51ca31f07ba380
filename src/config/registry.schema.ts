import { z } from 'zod';
import { sqlIdentifier } from './identifiers';
import { isIanaTimeZone } from './timeZone';

/** A Postgres interval literal such as '15 minutes', '1 hour', '00:05:00'. Parsed by Postgres, so only shape-checked here. */
const intervalText = (field: string) =>
	z
		.string()
		.regex(
			/^(\d+(\.\d+)?\s*(microseconds?|milliseconds?|seconds?|minutes?|hours?|days?|weeks?|mon|months?)\s*)+$|^\d{1,2}:\d{2}(:\d{2})?$/,
			`${field} must be a Postgres interval such as '15 minutes' or '1 hour'`,
		);

export const extractModes = ['incremental', 'snapshot'] as const;
export const loadStrategies = ['append', 'upsert', 'replace'] as const;
export const schemaDriftPolicies = ['add_nullable_columns', 'fail'] as const;
/** What a reconcile repair does with bronze rows whose key is gone from the source (docs/reconcile.md). */
export const sourceDeletePolicies = ['report', 'mark', 'delete'] as const;

/** One source table as it appears in the versioned registry file (dwh-control-sql/source-registry.json). */
export const sourceTableSchema = z
	.object({
		source_db: sqlIdentifier('source_db'),
		source_schema: sqlIdentifier('source_schema').default('public'),
		source_table: sqlIdentifier('source_table'),
		mode: z.enum(extractModes),
		/** append: rows never change after insert (ON CONFLICT DO NOTHING); upsert: the later run's version wins (mergeSql.ts); replace: snapshot. */
		load_strategy: z.enum(loadStrategies),
		watermark_column: sqlIdentifier('watermark_column').nullable().default(null),
		/**
		 * Required when the watermark column is `timestamp without time zone`: the IANA zone of the sessions that write
		 * it (their local time is what is stored). Without it such a table is refused, not read in a guessed zone.
		 */
		watermark_time_zone: z.string().min(1).nullable().default(null),
		key_columns: z.array(sqlIdentifier('key_columns[]')).min(1, 'key_columns needs at least one column'),
		cadence: intervalText('cadence'),
		lookback: intervalText('lookback').default('0 seconds'),
		safety_lag: intervalText('safety_lag').default('0 seconds'),
		schema_drift_policy: z.enum(schemaDriftPolicies).default('add_nullable_columns'),
		/** Columns that must never leave the source (design doc §6.5: message content). */
		excluded_columns: z.array(sqlIdentifier('excluded_columns[]')).default([]),
		/**
		 * Rows hard-deleted at the source (an incremental extract never sees a delete): a reconcile repair only reports
		 * them (default), marks them in bronze (`_dwh_deleted_at`), or deletes them from bronze.
		 */
		on_source_delete: z
			.enum(sourceDeletePolicies, {
				errorMap: () => ({ message: `on_source_delete must be one of ${sourceDeletePolicies.join(', ')} (default report)` }),
			})
			.default('report'),
		/**
		 * Days a row stays in raw.* after its load (design doc §8.1). Omitted: the registry's retention.raw_days for
		 * append tables, none for the others; null: kept for good. Only append (event) tables expire.
		 */
		raw_retention_days: z.number().int().min(1).max(36500).nullable().optional(),
		/**
		 * How often the scheduled reconcile (workflows/dwh-reconcile-scheduled.json) compares this table with its source
		 * (docs/reconcile.md): '1 day' (nightly) for big tables, '1 hour' for small ones. Omitted: the registry's
		 * reconcile.default_cadence for incremental tables; null: never on the schedule. Snapshot tables have none.
		 */
		reconcile_cadence: intervalText('reconcile_cadence').nullable().optional(),
		enabled: z.boolean().default(true),
		description: z.string().default(''),
	})
	.strict()
	.superRefine((t, ctx) => {
		const where = `${t.source_db}.${t.source_schema}.${t.source_table}`;
		if (bronzeTableName(t).length > 63) {
			ctx.addIssue({ code: 'custom', path: ['source_table'], message: `${where}: bronze name ${bronzeTableName(t)} exceeds Postgres' 63-character limit` });
		}
		if (t.mode === 'incremental' && !t.watermark_column) {
			ctx.addIssue({ code: 'custom', path: ['watermark_column'], message: `${where}: incremental tables need a watermark_column` });
		}
		if (t.watermark_time_zone !== null) {
			if (!t.watermark_column) {
				ctx.addIssue({ code: 'custom', path: ['watermark_time_zone'], message: `${where}: watermark_time_zone only applies to a watermark_column` });
			} else if (!isIanaTimeZone(t.watermark_time_zone)) {
				ctx.addIssue({
					code: 'custom',
					path: ['watermark_time_zone'],
					message: `${where}: watermark_time_zone "${t.watermark_time_zone}" is not an IANA time zone (e.g. UTC, Africa/Johannesburg)`,
				});
			}
		}
		if (t.mode === 'snapshot' && t.watermark_column) {
			ctx.addIssue({ code: 'custom', path: ['watermark_column'], message: `${where}: snapshot tables must not set watermark_column` });
		}
		if ((t.mode === 'snapshot') !== (t.load_strategy === 'replace')) {
			ctx.addIssue({ code: 'custom', path: ['load_strategy'], message: `${where}: snapshot mode goes with load_strategy 'replace' and only with it` });
		}
		for (const k of t.key_columns) {
			if (t.excluded_columns.includes(k)) {
				ctx.addIssue({ code: 'custom', path: ['excluded_columns'], message: `${where}: key column ${k} cannot be excluded` });
			}
		}
		if (t.watermark_column && t.excluded_columns.includes(t.watermark_column)) {
			ctx.addIssue({ code: 'custom', path: ['excluded_columns'], message: `${where}: watermark column cannot be excluded` });
		}
		if (t.mode === 'snapshot' && typeof t.reconcile_cadence === 'string') {
			ctx.addIssue({
				code: 'custom',
				path: ['reconcile_cadence'],
				message: `${where}: reconcile_cadence applies to incremental tables only — every load of a snapshot table replaces bronze with the whole source table; remove it or set null`,
			});
		}
		if (typeof t.raw_retention_days === 'number' && t.load_strategy !== 'append') {
			ctx.addIssue({
				code: 'custom',
				path: ['raw_retention_days'],
				message: `${where}: raw_retention_days applies to append (event) tables only — an ${t.load_strategy} table's row is the current state of its key, not history; remove it or set null`,
			});
		}
	});

export type SourceTableInput = z.input<typeof sourceTableSchema>;
export type SourceTable = z.output<typeof sourceTableSchema>;

/** Design doc §8.1: raw is kept 90 days; after that only the anonymised layers remain. */
export const DEFAULT_RAW_RETENTION_DAYS = 90;

/**
 * Design doc §6.8: the last trace of a forgotten person goes within 30 days. Forget Users does not rewrite archived
 * CSVs, so the object store may keep a CSV (exports/ and processed/) no longer than that.
 */
export const ERASURE_SLA_DAYS = 30;
/** Nightly: a matching table costs one aggregate pass per side (docs/BENCHMARKS.md), cheap enough for every table. */
export const DEFAULT_RECONCILE_CADENCE = '1 day';

export const sourceRegistrySchema = z
	.object({
		version: z.string().min(1, 'version is required (bump it on every change)'),
		/** Retention per layer. Only raw expires; staging follows raw, intermediate and marts keep their history. */
		retention: z
			.object({
				raw_days: z.number().int().min(1).max(36500).default(DEFAULT_RAW_RETENTION_DAYS),
				/** Days a CSV stays under exports/ and processed/ (lifecycle rules, or the archive sweep where a server has none). */
				archive_days: z
					.number()
					.int()
					.min(1)
					.max(
						ERASURE_SLA_DAYS,
						`retention.archive_days must be at most ${ERASURE_SLA_DAYS}: the archived CSVs carry the people Forget Users removes, and it does not rewrite them, so they must expire within the ${ERASURE_SLA_DAYS}-day erasure SLA`,
					)
					.default(ERASURE_SLA_DAYS),
			})
			.strict()
			.default({}),
		/** The scheduled reconcile: the cadence of every incremental table that does not set reconcile_cadence. */
		reconcile: z
			.object({ default_cadence: intervalText('reconcile.default_cadence').nullable().default(DEFAULT_RECONCILE_CADENCE) })
			.strict()
			.default({}),
		tables: z.array(sourceTableSchema).min(1),
	})
	.strict()
	.superRefine((r, ctx) => {
		const seen = new Set<string>();
		r.tables.forEach((t, i) => {
			const name = bronzeTableName(t);
			if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['tables', i], message: `duplicate table ${name}` });
			seen.add(name);
		});
	})
	// Each table carries its effective retention and reconcile cadence, so the sync writes one value per table.
	.transform((r) => ({
		...r,
		tables: r.tables.map((t) => ({
			...t,
			raw_retention_days: t.raw_retention_days !== undefined ? t.raw_retention_days : t.load_strategy === 'append' ? r.retention.raw_days : null,
			reconcile_cadence: t.reconcile_cadence !== undefined ? t.reconcile_cadence : t.mode === 'incremental' ? r.reconcile.default_cadence : null,
		})),
	}));

export type SourceRegistry = z.output<typeof sourceRegistrySchema>;

/** Bronze naming from design doc §8.1: raw.{source_db}__{table}. This is also the registry's table_name key. */
export function bronzeTableName(t: Pick<SourceTable, 'source_db' | 'source_table'>): string {
	return `${t.source_db}__${t.source_table}`;
}

/** A registry row as read back from dwh_control.source_tables. */
export type RegisteredTable = SourceTable & { table_name: string };
