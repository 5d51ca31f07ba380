import { loadPolicyFor, PolicyError } from '../anonymise/policyLoader';
import { subjectColumn } from '../anonymise/policy.schema';
import type { RegisteredTable } from '../config/registry.schema';

/**
 * What the anonymisation policy says about a table's rows, for rows deleted at the source (docs/reconcile.md):
 * - `none`: the policy declares no subject (no person in the table);
 * - `personal`: a subject column, and the bronze columns to erase — every column the policy does not keep as is
 *   (hashed, tokenised, generalised, suppressed, or not listed at all), except the key and the watermark, which the
 *   reconcile bookkeeping needs and which the policy's own rules cover downstream. `subjectIsKey`: the row is the
 *   person (users.id), so it stays, marked, for Forget Users to forget them everywhere;
 * - `unknown`: no policy file (or no entry) for the table: nothing is decided on a guess, the run says so.
 */
export type PersonalData =
	| { kind: 'none' }
	| { kind: 'personal'; subject: string; subjectIsKey: boolean; eraseColumns: string[] }
	| { kind: 'unknown'; reason: string };

export function personalDataOf(
	t: Pick<RegisteredTable, 'source_db' | 'source_table' | 'key_columns' | 'watermark_column'>,
	bronzeColumns: string[],
	policiesDir?: string,
): PersonalData {
	let tables;
	try {
		tables = loadPolicyFor(t.source_db, policiesDir).policy.tables;
	} catch (err) {
		if (err instanceof PolicyError) return { kind: 'unknown', reason: err.message };
		throw err;
	}
	const pt = tables.find((x) => x.table === t.source_table);
	if (!pt) return { kind: 'unknown', reason: `the ${t.source_db} policy has no entry for table ${t.source_table}` };
	const subject = subjectColumn(pt);
	if (!subject) return { kind: 'none' };
	const kept = new Set([...t.key_columns, ...(t.watermark_column ? [t.watermark_column] : [])]);
	const eraseColumns = bronzeColumns.filter((c) => !c.startsWith('_dwh_') && !kept.has(c) && pt.columns[c]?.strategy !== 'keep');
	return { kind: 'personal', subject, subjectIsKey: t.key_columns.includes(subject), eraseColumns };
}
