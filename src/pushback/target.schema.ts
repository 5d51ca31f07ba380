import { z } from 'zod';
import { sqlIdentifier } from '../config/identifiers';

export const pushModes = ['mirror', 'upsert'] as const;
export type PushMode = (typeof pushModes)[number];

/**
 * Schemas a push must never write into: the catalogs, and `public`, which every role can usually see. An app's
 * aggregates live in a schema of their own so that USAGE on it is the whole of the app's access.
 */
const FORBIDDEN_TARGET_SCHEMAS = /^(public|information_schema|pg_.*|dwh_control)$/;

const targetSchemaName = sqlIdentifier('target.schema').refine((s) => !FORBIDDEN_TARGET_SCHEMAS.test(s), {
	message: 'target.schema must be an app schema such as tagme or shared (not public, information_schema, pg_* or dwh_control)',
});

/** Role names are identifiers too; `public` and the pg_ roles would hand the table to everyone. */
const appRoleName = sqlIdentifier('appRole').refine((r) => !/^(public|pg_.*)$/.test(r), {
	message: "appRole must be the app's own role (e.g. tagme_app), not public or a pg_ role",
});

/**
 * Where the rows come from in the warehouse: a relation (a marts table or view) or one SELECT. The query is the
 * workflow author's SQL, run with the warehouse credential inside a read-only transaction; a trailing semicolon
 * is dropped because the query is embedded in COPY ( … ).
 */
export const pushSourceSchema = z.discriminatedUnion('kind', [
	z.object({
		kind: z.literal('relation'),
		schema: sqlIdentifier('source.schema'),
		table: sqlIdentifier('source.table'),
	}),
	z.object({
		kind: z.literal('query'),
		sql: z
			.string({ required_error: 'source.sql is required (one SELECT over marts.*)' })
			.transform((s) => s.trim().replace(/;\s*$/, '').trim())
			.refine((s) => s.length > 0, 'source.sql must be one SELECT over marts.*'),
	}),
]);
export type PushSource = z.output<typeof pushSourceSchema>;

/**
 * The k-anonymity gate for aggregate targets (design doc §6.6): a row whose group-size column (distinct users
 * behind the row) is below k, or NULL, is not pushed, and is removed from the target if an earlier push put it there.
 */
export const kAnonymityGateSchema = z.object({
	groupSizeColumn: sqlIdentifier('kAnonymity.groupSizeColumn'),
	k: z.coerce.number().int().min(2, 'kAnonymity.k must be at least 2 (the design default is 5)').default(5),
});
export type KAnonymityGate = z.output<typeof kAnonymityGateSchema>;

/** One push-back target: a warehouse source synced by key into analytics_db.<schema>.<table>. */
export const pushTargetSchema = z
	.object({
		/** Stable name shown in the run log and List Targets; defaults to <schema>.<table>. */
		name: z
			.string()
			.regex(/^[a-z][a-z0-9_.-]{0,127}$/, 'name must be lower-case letters, digits, _ . - (e.g. tagme.user_summary)')
			.optional(),
		source: pushSourceSchema,
		target: z.object({ schema: targetSchemaName, table: sqlIdentifier('target.table') }),
		/** The target's primary key; the source must have exactly one row per key. */
		key: z.array(sqlIdentifier('key[]')).min(1, 'key needs at least one column (the target primary key)'),
		/** mirror: target rows absent from the source are deleted (how a forgotten user disappears, §6.8). upsert: they stay. */
		mode: z.enum(pushModes).default('mirror'),
		/** The app's least-privilege role: it gets USAGE on the schema and SELECT on the table, nobody else gets anything. */
		appRole: appRoleName,
		kAnonymity: kAnonymityGateSchema.nullable().default(null),
		/**
		 * Columns a compliance reviewer signed off for the PII gate (e.g. an FX rate whose decimals look like a
		 * coordinate). Never waives a direct identifier (email, phone, ID number, card, IBAN, name, device id).
		 */
		piiAllowColumns: z.array(sqlIdentifier('piiAllowColumns[]')).default([]),
		/**
		 * A mirror push of a source with no rows at all (none pushed, none suppressed) onto a non-empty target is
		 * refused: an empty mart is far more often a failed build than a real "nobody did anything".
		 */
		allowEmptySource: z.boolean().default(false),
		description: z.string().default(''),
	})
	.strict()
	.superRefine((t, ctx) => {
		const seen = new Set<string>();
		t.key.forEach((k, i) => {
			if (seen.has(k)) ctx.addIssue({ code: 'custom', path: ['key', i], message: `key column ${k} is listed twice` });
			seen.add(k);
		});
		if (t.kAnonymity && t.key.includes(t.kAnonymity.groupSizeColumn)) {
			ctx.addIssue({ code: 'custom', path: ['kAnonymity', 'groupSizeColumn'], message: 'the group-size column cannot be part of the key' });
		}
	})
	.transform((t) => ({ ...t, name: t.name ?? `${t.target.schema}.${t.target.table}` }));

export type PushTargetInput = z.input<typeof pushTargetSchema>;
export type PushTarget = z.output<typeof pushTargetSchema>;

export class PushTargetConfigError extends Error {
	constructor(readonly issues: { path: string; message: string }[]) {
		super(`Invalid push target — ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
		this.name = 'PushTargetConfigError';
	}
}

/** Parses a target, turning zod's issue list into one sentence that names each field (target.schema: …). */
export function parsePushTarget(input: unknown): PushTarget {
	const r = pushTargetSchema.safeParse(input);
	if (r.success) return r.data;
	throw new PushTargetConfigError(r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })));
}

/** A per-user summary is keyed by the pseudonymous user hash; it may only be pushed when the source holds no direct identifier. */
export function isPerUserTarget(t: Pick<PushTarget, 'key'>): boolean {
	return t.key.some((k) => k === 'user_hash' || k.endsWith('_user_hash'));
}

export const pushStatuses = ['running', 'pushed', 'failed', 'skipped'] as const;
export type PushStatus = (typeof pushStatuses)[number];

/** What a push reports (one n8n item per target). Counts only, never row data. */
export const pushResultSchema = z.object({
	target: z.string(),
	targetRelation: z.string(),
	runId: z.number().int().nullable(),
	status: z.enum(pushStatuses),
	mode: z.enum(pushModes),
	/** True when this run created the target table. */
	created: z.boolean(),
	/** Source rows that passed the k-anonymity gate and were staged on the target. */
	rowsStaged: z.number().int().min(0),
	inserted: z.number().int().min(0),
	updated: z.number().int().min(0),
	unchanged: z.number().int().min(0),
	/** Target rows deleted because the source no longer has them (mirror mode). */
	deleted: z.number().int().min(0),
	/** Source rows held back by the k-anonymity gate. */
	suppressed: z.number().int().min(0),
	/** Of those, rows an earlier push had put in the target and this one removed. */
	suppressedRemoved: z.number().int().min(0),
	durationMs: z.number().int().min(0),
	message: z.string().default(''),
});
export type PushResult = z.output<typeof pushResultSchema>;
