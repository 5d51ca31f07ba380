import { z } from 'zod';
import { SQL_IDENTIFIER, sqlIdentifier } from '../config/identifiers';
import { ANONYMISE_INPUT_SCHEMAS, ANONYMISE_OUTPUT } from '../config/writeTargets';

/**
 * An anonymisation policy: one versioned file per source database (policies/<source_db>.policy.json) saying, for
 * every column of every table, what reaches intermediate.* (design doc §6.1–6.5). The schema is the only
 * definition of the format; docs/anonymise.md describes it for people.
 */

const outName = (field: string) => sqlIdentifier(field).optional();

/** Copied unchanged: non-personal facts (amounts, statuses, timestamps, surrogate keys of non-person rows). */
export const keepSpec = z.object({ strategy: z.literal('keep'), as: outName('as') }).strict();

/** Never selected (§6.5: message bodies, subjects, media, biometrics; credentials such as PIN hashes). */
export const suppressSpec = z.object({ strategy: z.literal('suppress'), reason: z.string().optional() }).strict();

/**
 * Deterministic hash (§6.2): sha256 = encode(digest(salt || ':' || value::text, 'sha256'), 'hex'); hmac_sha256 =
 * encode(hmac(value::text, salt, 'sha256'), 'hex'), the recommended variant for new fields. `salt` names a salt
 * type in the anonymisation-secrets credential (users, devices, accounts, ...): the same type in two sources
 * gives the same hash, which is what makes cross-source joins work.
 */
export const hashSpec = z
	.object({
		strategy: z.literal('hash'),
		salt: sqlIdentifier('salt'),
		algorithm: z.enum(['sha256', 'hmac_sha256']).default('sha256'),
		/** 16 keeps the first 16 hex characters (marts' compact form, §6.2); intermediate normally keeps 64. */
		truncate: z.union([z.literal(16), z.null()]).default(null),
		/** lower_trim: lower(btrim(value)) first, so Thabo@X.co.za and thabo@x.co.za join (ASCII-exact in SQL and TS). */
		normalise: z.enum(['none', 'lower_trim']).default('none'),
		as: outName('as'),
	})
	.strict();

/** Reversible by compliance only (§6.3): a sequence token; the value lives encrypted in compliance.token_vault. */
export const tokeniseSpec = z
	.object({
		strategy: z.literal('tokenise'),
		/** Token domain: the same value under two kinds gets two tokens (sa_id, passport, account_number, ...). */
		kind: sqlIdentifier('kind'),
		as: outName('as'),
	})
	.strict();

const generalise = <R extends string, S extends z.ZodRawShape>(rule: R, shape: S) =>
	z.object({ strategy: z.literal('generalise'), rule: z.literal(rule), ...shape }).strict();

export const generaliseSpec = z.discriminatedUnion('rule', [
	/** Date of birth → <18, 18-24, 25-34, 35-44, 45-54, 55-64, 65+ at the run's as-of date. */
	generalise('age_band', { as: outName('as') }),
	/** Postcode → its first 4 digits (SA postcodes are 4 digits; finer foreign codes are cut). */
	generalise('postcode_4', { as: outName('as') }),
	/** Latitude or longitude → 0.01° grid (~1.1 km), for user-level rows. */
	generalise('gps_grid', { as: outName('as') }),
	/** IP → city and country through dwh_control.ip_geo_ranges (longest prefix wins); the IP itself is dropped. */
	generalise('ip_geo', { as_city: outName('as_city'), as_country: outName('as_country') }),
	/** User agent / OS string → Android-recent, Android-old, iOS-recent, iOS-old, Web, Other. */
	generalise('device_class', {
		as: outName('as'),
		android_recent_from: z.number().int().min(1).max(99).default(12),
		ios_recent_from: z.number().int().min(1).max(99).default(16),
	}),
	/** Exact timestamp → hour (for low-volume tables, §6.4). */
	generalise('timestamp_hour', { as: outName('as') }),
	/** Free-text address → city and country; street, number and postcode are dropped. */
	generalise('address_city', {
		as_city: outName('as_city'),
		as_country: outName('as_country'),
		/** Last comma-separated parts matching one of these (case-insensitive) are the country. */
		countries: z.array(z.string().min(1)).default(['South Africa', 'Namibia', 'Botswana', 'Lesotho', 'Eswatini', 'Zimbabwe', 'Mozambique']),
		/** Country when the address names none. */
		default_country: z.string().nullable().default(null),
	}),
]);

export type ColumnSpec =
	| z.output<typeof keepSpec>
	| z.output<typeof suppressSpec>
	| z.output<typeof hashSpec>
	| z.output<typeof tokeniseSpec>
	| z.output<typeof generaliseSpec>;

const byStrategy = { keep: keepSpec, suppress: suppressSpec, hash: hashSpec, tokenise: tokeniseSpec, generalise: generaliseSpec } as const;
const strategies = Object.keys(byStrategy).join(', ');

/**
 * Dispatches on `strategy` by hand rather than with z.union: a union reports "invalid input" for a hash without
 * a salt, while the user needs "salt is required". "keep" and "suppress" may be written as plain strings.
 */
export const columnSpec: z.ZodType<ColumnSpec, z.ZodTypeDef, unknown> = z.unknown().transform((value, ctx): ColumnSpec => {
	const v = value === 'keep' || value === 'suppress' ? { strategy: value } : value;
	if (typeof v !== 'object' || v === null || Array.isArray(v)) {
		ctx.addIssue({ code: 'custom', message: `must be "keep", "suppress" or an object with a strategy (${strategies})` });
		return z.NEVER;
	}
	const strategy = (v as { strategy?: unknown }).strategy;
	if (typeof strategy !== 'string' || !(strategy in byStrategy)) {
		ctx.addIssue({ code: 'custom', path: ['strategy'], message: `strategy must be one of ${strategies}; got ${JSON.stringify(strategy ?? null)}` });
		return z.NEVER;
	}
	const parsed = byStrategy[strategy as keyof typeof byStrategy].safeParse(v);
	if (!parsed.success) {
		for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path });
		return z.NEVER;
	}
	return parsed.data as ColumnSpec;
});
export type HashSpec = z.output<typeof hashSpec>;
export type GeneraliseSpec = z.output<typeof generaliseSpec>;

/**
 * Whose row this is, for right-to-be-forgotten (§6.8) and for keeping forgotten users out of rebuilt tables.
 * The subject column holds the TGN-wide user id (users.id, check_ins.user_id, ...). A table that holds no person's
 * id says so, with the reason ({"none": "…"}), so that "no subject" is a reviewed decision and never an omission.
 */
export const subjectSpec = z.union([
	z.object({ column: sqlIdentifier('subject.column') }).strict(),
	z.object({ none: z.string().min(10, 'subject.none must say why the table holds no person (at least 10 characters)') }).strict(),
]);

/** The table's subject column, or null when it declares none (or, outside the policies folder, says nothing). */
export function subjectColumn(t: Pick<PolicyTable, 'subject'>): string | null {
	return t.subject && 'column' in t.subject ? t.subject.column : null;
}

/**
 * Records the law requires us to keep although the person asked to be forgotten (design doc §6.7: FICA, 5 years of
 * financial records). Forget Users keeps the table's anonymised rows whose date_column is within `years`, with the
 * subject's hash set to NULL (unlinked), and deletes the older ones; every other copy of the person goes as usual.
 */
export const legalHoldSpec = z
	.object({
		basis: z.string().min(3, 'legal_hold.basis must name the law or rule (e.g. "FICA s22/s23: 5-year record keeping")'),
		years: z.number().int().min(1).max(30),
		/** An input column kept as is (strategy keep) that dates the record. */
		date_column: sqlIdentifier('legal_hold.date_column'),
	})
	.strict();
export type LegalHold = z.output<typeof legalHoldSpec>;

export const policyTableSchema = z
	.object({
		/** Source table name; the input relation defaults to its bronze table raw.<source_db>__<table>. */
		table: sqlIdentifier('table'),
		input: z
			.object({
				schema: sqlIdentifier('input.schema').refine(
					(s) => !SQL_IDENTIFIER.test(s) || ANONYMISE_INPUT_SCHEMAS.includes(s),
					(s) => ({
						message: `input.schema must be ${ANONYMISE_INPUT_SCHEMAS.join(
							' or ',
						)} (Anonymise reads bronze or dbt staging, and Forget Users deletes there), got ${s}`,
					}),
				),
				table: sqlIdentifier('input.table'),
			})
			.strict()
			.optional(),
		/** Table in intermediate.*; defaults to int_<source_db>__<table>. */
		output: sqlIdentifier('output')
			.refine(
				(o) => !SQL_IDENTIFIER.test(o) || ANONYMISE_OUTPUT.test(o),
				(o) => ({
					message: `output must start with int_ (Anonymise replaces only its own intermediate.int_* tables, never an Enrich output or another stage's relation), got ${o}`,
				}),
			)
			.optional(),
		subject: subjectSpec.optional(),
		legal_hold: legalHoldSpec.optional(),
		/**
		 * fail (default): a column the policy does not mention (schema drift) stops the run until someone decides.
		 * suppress: such columns are dropped. Pipeline columns (_dwh_*) are always dropped unless listed.
		 */
		unlisted_columns: z.enum(['fail', 'suppress']).default('fail'),
		pii_check: z
			.object({
				/** Columns a compliance reviewer signed off as not personal although they look it (e.g. POI lat/lng). */
				allow_columns: z.array(sqlIdentifier('pii_check.allow_columns[]')).default([]),
				allow_reason: z.string().optional(),
				sample_rows: z.number().int().min(0).max(1_000_000).optional(),
			})
			.strict()
			.default({}),
		description: z.string().optional(),
		columns: z.record(z.string(), columnSpec).refine((c) => Object.keys(c).length > 0, 'columns must list at least one column'),
	})
	.strict();
export type PolicyTable = z.output<typeof policyTableSchema>;

export const policySchema = z
	.object({
		source_db: sqlIdentifier('source_db'),
		/** Bump on every change; recorded with each run so an output can be traced to the policy that made it. */
		version: z.string().min(1, 'version is required (bump it on every change)'),
		description: z.string().optional(),
		tables: z.array(policyTableSchema).min(1, 'tables must list at least one table'),
	})
	.strict()
	.superRefine((p, ctx) => {
		const seenTables = new Set<string>();
		const seenOutputs = new Set<string>();
		p.tables.forEach((t, i) => {
			if (seenTables.has(t.table)) ctx.addIssue({ code: 'custom', path: ['tables', i, 'table'], message: `table ${t.table} is listed twice` });
			seenTables.add(t.table);
			const out = outputTableName(p.source_db, t);
			if (out.length > 63) ctx.addIssue({ code: 'custom', path: ['tables', i, 'output'], message: `output name ${out} exceeds 63 characters; set output` });
			if (seenOutputs.has(out)) ctx.addIssue({ code: 'custom', path: ['tables', i, 'output'], message: `output ${out} is used by two tables` });
			seenOutputs.add(out);
			const produced = new Map<string, string>();
			for (const [col, spec] of Object.entries(t.columns)) {
				// A column that already failed its own schema arrives here as z.NEVER: it has been reported.
				if (typeof spec !== 'object' || spec === null || !('strategy' in spec)) continue;
				if (!/^[a-z_][a-z0-9_]{0,62}$/.test(col)) {
					ctx.addIssue({ code: 'custom', path: ['tables', i, 'columns', col], message: 'column name must be a lower-case SQL identifier' });
					continue;
				}
				for (const out of outputColumns(col, spec)) {
					const other = produced.get(out);
					if (other)
						ctx.addIssue({ code: 'custom', path: ['tables', i, 'columns', col], message: `output column ${out} is also produced by ${other}; set "as"` });
					produced.set(out, col);
				}
			}
			const subject = subjectColumn(t);
			if (subject && !(subject in t.columns)) {
				ctx.addIssue({ code: 'custom', path: ['tables', i, 'subject', 'column'], message: `subject column ${subject} is not listed in columns` });
			}
			if (subject) {
				const s = t.columns[subject];
				if (typeof s === 'object' && s !== null && 'strategy' in s && s.strategy !== 'hash') {
					ctx.addIssue({
						code: 'custom',
						path: ['tables', i, 'columns', subject],
						message: `the subject column must be hashed (it identifies a person), not ${s.strategy}`,
					});
				}
			}
			if (t.legal_hold) {
				const d = t.columns[t.legal_hold.date_column];
				if (!subject)
					ctx.addIssue({ code: 'custom', path: ['tables', i, 'legal_hold'], message: 'a legal hold needs a subject column (it unlinks that person)' });
				if (typeof d !== 'object' || d === null || !('strategy' in d) || d.strategy !== 'keep') {
					ctx.addIssue({
						code: 'custom',
						path: ['tables', i, 'legal_hold', 'date_column'],
						message: `legal_hold.date_column ${t.legal_hold.date_column} must be a column the policy keeps`,
					});
				}
			}
		});
	});
export type Policy = z.output<typeof policySchema>;
export type PolicyInput = z.input<typeof policySchema>;

export function outputTableName(sourceDb: string, t: Pick<PolicyTable, 'table' | 'output'>): string {
	return t.output ?? `int_${sourceDb}__${t.table}`;
}

export function inputRelation(sourceDb: string, t: Pick<PolicyTable, 'table' | 'input'>): { schema: string; table: string } {
	return t.input ?? { schema: 'raw', table: `${sourceDb}__${t.table}` };
}

/** The intermediate column(s) a policy column becomes, in order; empty for suppress. */
export function outputColumns(column: string, spec: ColumnSpec): string[] {
	switch (spec.strategy) {
		case 'keep':
			return [spec.as ?? column];
		case 'suppress':
			return [];
		case 'hash':
			return [spec.as ?? `${column}_hash`];
		case 'tokenise':
			return [spec.as ?? `${column}_token`];
		case 'generalise':
			switch (spec.rule) {
				case 'age_band':
					return [spec.as ?? 'age_band'];
				case 'postcode_4':
					return [spec.as ?? `${column}_area`];
				case 'gps_grid':
					return [spec.as ?? `${column}_grid`];
				case 'device_class':
					return [spec.as ?? 'device_class'];
				case 'timestamp_hour':
					return [spec.as ?? `${column}_hour`];
				case 'ip_geo':
				case 'address_city':
					return [spec.as_city ?? `${column}_city`, spec.as_country ?? `${column}_country`];
			}
	}
}

/** Salt types a table needs from the credential. */
export function saltTypesOf(t: PolicyTable): string[] {
	const types = new Set<string>();
	for (const spec of Object.values(t.columns)) if (spec.strategy === 'hash') types.add(spec.salt);
	return [...types].sort();
}
