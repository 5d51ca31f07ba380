import { escapeIdentifier as q } from 'pg';
import { hashSql, subjectHmacSql, vaultLookupHashSql } from './hashing';
import { inputRelation, outputColumns, subjectColumn, type ColumnSpec, type Policy, type PolicyTable } from './policy.schema';
import type { ResolvedSalt } from './secrets.schema';

/**
 * Builds the set-based SELECT that turns one bronze/staging relation into its intermediate table. Identifiers
 * are validated and quoted; salts, keys, token kinds and the as-of date are bound parameters, so the statement
 * text (which may reach the server log) holds nothing secret.
 */

export interface InputColumn {
	name: string;
	/** format_type() of the column, e.g. 'inet', 'timestamp with time zone'. */
	type: string;
}

/** The policy and the relation disagree: named per column, with what to change. */
export class PolicyCoverageError extends Error {
	constructor(readonly sourceDb: string, readonly table: string, readonly problems: string[]) {
		super(`Anonymisation policy ${sourceDb}, table ${table}: ${problems.join('; ')}`);
		this.name = 'PolicyCoverageError';
	}
}

export interface PlannedColumn {
	column: string;
	type: string;
	spec: ColumnSpec;
}

const PIPELINE_COLUMN = /^_dwh_/;

/** Pairs every input column with its strategy; unlisted or missing columns are errors (or dropped, if allowed). */
export function planColumns(policy: Policy, table: PolicyTable, input: InputColumn[]): PlannedColumn[] {
	const problems: string[] = [];
	const present = new Set(input.map((c) => c.name));
	for (const [col, spec] of Object.entries(table.columns)) {
		// A suppressed column the extract already left out (registry excluded_columns) is exactly what we want.
		if (!present.has(col) && spec.strategy !== 'suppress')
			problems.push(`column ${col} is in the policy but not in ${describeInput(policy, table)} — remove it from the policy or check the input relation`);
	}
	const planned: PlannedColumn[] = [];
	for (const c of input) {
		const spec = table.columns[c.name];
		if (spec) {
			planned.push({ column: c.name, type: c.type, spec });
			continue;
		}
		if (PIPELINE_COLUMN.test(c.name) || table.unlisted_columns === 'suppress') continue;
		problems.push(
			`column ${c.name} of ${describeInput(
				policy,
				table,
			)} is not covered by the policy — add it with a strategy (keep, suppress, hash, tokenise, generalise) and bump the version`,
		);
	}
	if (problems.length) throw new PolicyCoverageError(policy.source_db, table.table, problems);
	if (!planned.some((p) => p.spec.strategy !== 'suppress')) {
		throw new PolicyCoverageError(policy.source_db, table.table, ['every column is suppressed: the output would have no columns']);
	}
	return planned;
}

function describeInput(policy: Policy, table: PolicyTable): string {
	const r = inputRelation(policy.source_db, table);
	return `${r.schema}.${r.table}`;
}

class Params {
	readonly values: unknown[] = [];
	private readonly named = new Map<string, string>();
	add(value: unknown, key?: string): string {
		if (key && this.named.has(key)) return this.named.get(key)!;
		this.values.push(value);
		const ref = `$${this.values.length}`;
		if (key) this.named.set(key, ref);
		return ref;
	}
}

export interface BuildOptions {
	policy: Policy;
	table: PolicyTable;
	input: InputColumn[];
	salts: Map<string, ResolvedSalt>;
	hmacKey: string;
	/** YYYY-MM-DD; age bands are computed at this date (a parameter, so item mode uses the very same one). */
	asOf: string;
	/** Temp table (kind, lookup_hash, token) filled from the vault before the build. */
	tokenTable?: string;
	/** Incremental builds: only input rows loaded by a later run than this (bronze `_dwh_run_id`). */
	sinceRunId?: string;
}

export interface BuiltSelect {
	/** SELECT … FROM … (no CREATE): the runner wraps it as CREATE TABLE … AS. */
	select: string;
	params: unknown[];
	outputColumns: string[];
	/** Tokenised input columns and their vault kinds, to fill tokenTable first. */
	tokenised: { column: string; kind: string }[];
}

export const TOKEN_TABLE = 'pg_temp._dwh_tokens';

export function buildAnonymiseSelect(o: BuildOptions): BuiltSelect {
	const planned = planColumns(o.policy, o.table, o.input);
	const params = new Params();
	const select: string[] = [];
	const joins: string[] = [];
	const out: string[] = [];
	const tokenised: { column: string; kind: string }[] = [];
	const hmacKey = () => params.add(o.hmacKey, 'hmac');

	planned.forEach((p, i) => {
		const src = `s.${q(p.column)}`;
		const names = outputColumns(p.column, p.spec);
		const as = (expr: string, k = 0) => {
			select.push(`${expr} AS ${q(names[k])}`);
			out.push(names[k]);
		};
		const spec = p.spec;
		switch (spec.strategy) {
			case 'suppress':
				return;
			case 'keep':
				return as(src);
			case 'hash': {
				const salt = o.salts.get(spec.salt);
				if (!salt) throw new Error(`internal: salt ${spec.salt} was not resolved`);
				return as(hashSql(src, params.add(salt.salt, `salt:${spec.salt}`), spec));
			}
			case 'tokenise': {
				if (!o.tokenTable) throw new Error('internal: tokenise needs the token table');
				const alias = `tk${i}`;
				joins.push(
					`LEFT JOIN ${o.tokenTable} ${alias} ON ${alias}.kind = ${params.add(spec.kind, `kind:${spec.kind}`)} AND ${alias}.lookup_hash = ${vaultLookupHashSql(
						src,
						hmacKey(),
					)}`,
				);
				tokenised.push({ column: p.column, kind: spec.kind });
				return as(`${alias}.token`);
			}
			case 'generalise':
				switch (spec.rule) {
					case 'age_band':
						return as(`dwh_control.age_band((${src})::date, ${params.add(o.asOf, 'asof')}::date)`);
					case 'postcode_4':
						return as(`dwh_control.postcode_area((${src})::text)`);
					case 'gps_grid':
						return as(`round((${src})::numeric, 2)::float8`);
					case 'device_class':
						return as(`dwh_control.device_class((${src})::text, ${spec.android_recent_from}, ${spec.ios_recent_from})`);
					case 'timestamp_hour':
						return as(`date_trunc('hour', ${src})`);
					case 'ip_geo': {
						const alias = `ip${i}`;
						const ip = p.type === 'inet' || p.type === 'cidr' ? src : `dwh_control.try_inet((${src})::text)`;
						joins.push(
							`LEFT JOIN LATERAL (SELECT g.city, g.country FROM dwh_control.ip_geo_ranges g WHERE g.network >>= ${ip} ORDER BY masklen(g.network) DESC LIMIT 1) ${alias} ON true`,
						);
						as(`${alias}.city`, 0);
						return as(`${alias}.country`, 1);
					}
					case 'address_city': {
						const alias = `ad${i}`;
						joins.push(
							`LEFT JOIN LATERAL dwh_control.address_parts((${src})::text, ${params.add(spec.countries)}::text[], ${params.add(
								spec.default_country,
							)}::text) ${alias} ON true`,
						);
						as(`${alias}.city`, 0);
						return as(`${alias}.country`, 1);
					}
				}
		}
	});

	const rel = inputRelation(o.policy.source_db, o.table);
	const where: string[] = [];
	const subject = subjectColumn(o.table);
	if (subject) {
		// Forgotten people stay forgotten even if a later extract brings their row back (dwh_control.rtbf_subjects).
		where.push(`NOT EXISTS (SELECT 1 FROM dwh_control.rtbf_subjects f WHERE f.subject_hmac = ${subjectHmacSql(`s.${q(subject)}`, hmacKey())})`);
	}
	if (o.sinceRunId !== undefined) where.push(`s._dwh_run_id > ${params.add(o.sinceRunId)}::bigint`);
	const sql =
		`SELECT ${select.join(', ')} FROM ${q(rel.schema)}.${q(rel.table)} s` +
		(joins.length ? ` ${joins.join(' ')}` : '') +
		(where.length ? ` WHERE ${where.join(' AND ')}` : '');
	return { select: sql, params: params.values, outputColumns: out, tokenised };
}
