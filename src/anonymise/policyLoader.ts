import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ZodError } from 'zod';
import { SQL_IDENTIFIER } from '../config/identifiers';
import { packageAsset } from '../config/packageAsset';
import { policySchema, type Policy } from './policy.schema';

/** A policy that cannot be used. Every problem names the source, table, column and what is wrong. */
export class PolicyError extends Error {
	constructor(readonly source: string, readonly problems: string[]) {
		super(`Anonymisation policy ${source} is invalid — ${problems.join('; ')}`);
		this.name = 'PolicyError';
	}
}

export interface LoadedPolicy {
	policy: Policy;
	/** sha256 of the file bytes, recorded per run next to policy.version (catches an edit without a version bump). */
	sha256: string;
	file: string | null;
}

/** The policies shipped at the package root (policies/). */
export function defaultPoliciesDir(): string {
	return packageAsset('policies');
}

function describeIssues(error: ZodError, raw: unknown): string[] {
	const tables = (raw as { tables?: { table?: unknown }[] })?.tables;
	return error.issues.map((issue) => {
		const p = [...issue.path];
		const where: string[] = [];
		if (p[0] === 'tables' && typeof p[1] === 'number') {
			const name = tables?.[p[1]]?.table;
			where.push(typeof name === 'string' ? `table ${name}` : `tables[${p[1]}]`);
			p.splice(0, 2);
			if ((p[0] as unknown) === 'columns' && p.length > 1) {
				where.push(`column ${String(p[1])}`);
				p.splice(0, 2);
			}
		}
		if (p.length) where.push(p.join('.'));
		return where.length ? `${where.join(', ')}: ${issue.message}` : issue.message;
	});
}

/** Validates an already-parsed policy object; `label` names it in errors (file name or source_db). */
export function parsePolicy(raw: unknown, label: string): Policy {
	const parsed = policySchema.safeParse(raw);
	if (!parsed.success) throw new PolicyError(label, describeIssues(parsed.error, raw));
	return parsed.data;
}

export function parsePolicyText(text: string, label: string, file: string | null = null): LoadedPolicy {
	let raw: unknown;
	try {
		raw = JSON.parse(text);
	} catch (err) {
		throw new PolicyError(label, [`not valid JSON: ${(err as Error).message}`]);
	}
	const source = typeof (raw as { source_db?: unknown })?.source_db === 'string' ? `${(raw as { source_db: string }).source_db} (${label})` : label;
	return { policy: parsePolicy(raw, source), sha256: createHash('sha256').update(text).digest('hex'), file };
}

export function loadPolicyFile(file: string): LoadedPolicy {
	const label = path.basename(file);
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (err) {
		throw new PolicyError(label, [`cannot read ${file}: ${(err as Error).message}`]);
	}
	const loaded = parsePolicyText(text, label, file);
	const expected = `${loaded.policy.source_db}.policy.json`;
	if (label !== expected) throw new PolicyError(`${loaded.policy.source_db} (${label})`, [`file must be named ${expected} (one policy file per source_db)`]);
	// Right-to-be-forgotten finds a person's raw rows only through this: a policy file decides it for every table.
	const undecided = loaded.policy.tables
		.filter((t) => !t.subject)
		.map((t) => `table ${t.table}: subject is required — {"column": "<the user id column>"}, or {"none": "<why no person is in this table>"}`);
	if (undecided.length) throw new PolicyError(`${loaded.policy.source_db} (${label})`, undecided);
	return loaded;
}

/** Every <source_db>.policy.json in `dir`, keyed by source_db. */
export function loadPolicies(dir = defaultPoliciesDir()): Map<string, LoadedPolicy> {
	const out = new Map<string, LoadedPolicy>();
	for (const f of readdirSync(dir)
		.filter((f) => f.endsWith('.policy.json'))
		.sort()) {
		const loaded = loadPolicyFile(path.join(dir, f));
		out.set(loaded.policy.source_db, loaded);
	}
	return out;
}

/** A Source Database parameter that is not a source database name: it never becomes part of a file path. */
export class PolicyNameError extends Error {
	constructor(readonly sourceDb: string) {
		super(
			`sourceDb ${JSON.stringify(sourceDb.slice(0, 100))} is not a source database name: sourceDb must be a lower-case SQL identifier ` +
				'(letters, digits, underscore; max 63 chars, not starting with a digit), e.g. auth_db. Policies are read only as <policies folder>/<sourceDb>.policy.json.',
		);
		this.name = 'PolicyNameError';
	}
}

/**
 * The policy for one source, with a message that says where it was looked for. The name is validated before it
 * touches the file system, so `../x`, an absolute path or an encoded separator can never load a file outside `dir`.
 */
export function loadPolicyFor(sourceDb: string, dir = defaultPoliciesDir()): LoadedPolicy {
	if (!SQL_IDENTIFIER.test(sourceDb)) throw new PolicyNameError(sourceDb);
	const file = path.join(dir, `${sourceDb}.policy.json`);
	try {
		readFileSync(file);
	} catch {
		throw new PolicyError(sourceDb, [`no policy file ${file}: every source needs one before its data may leave raw.*`]);
	}
	return loadPolicyFile(file);
}
