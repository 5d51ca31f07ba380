import type pg from 'pg';
import { describeFindings, scanRelationForPii, type PiiFinding } from '../privacy/piiScan';

/**
 * §6.1's direct identifiers. A finding of one of these can never be waived by piiAllowColumns: per-user summaries
 * are keyed by user_hash and are only allowed because nothing else in the row names the person.
 */
const DIRECT_IDENTIFIERS = new Set<string>([
	'email',
	'phone',
	'phone_za',
	'phone_international',
	'national_id',
	'sa_id_number',
	'passport',
	'person_name',
	'card_pan',
	'iban',
	'financial_account',
	'bank_account',
	'device_id',
	'biometric',
	'secret',
]);

export function isDirectIdentifier(f: Pick<PiiFinding, 'detector'>): boolean {
	return DIRECT_IDENTIFIERS.has(f.detector);
}

export class PiiBlockedError extends Error {
	constructor(readonly target: string, readonly findings: PiiFinding[]) {
		const waivable = findings.every((f) => !isDirectIdentifier(f));
		super(
			`PII check blocked the push of ${target}: ${describeFindings(findings)}. Nothing was pushed. ` +
				(waivable
					? 'Fix the mart (hash, generalise or drop the column), or — if a compliance reviewer has signed the column off (e.g. a rate with many decimals that looks like a coordinate) — list it in piiAllowColumns.'
					: 'Direct identifiers can never be pushed back: hash or drop the column in the mart.'),
		);
		this.name = 'PiiBlockedError';
	}
}

export interface PiiGateResult {
	/** Findings on columns a reviewer signed off; reported, not blocking. */
	waived: PiiFinding[];
}

/**
 * Runs the Anonymise work's PII scan (column names + a bounded content sample) on the source before anything
 * leaves the warehouse. Any finding blocks, except non-direct findings on columns listed in allowColumns.
 */
export async function checkSourceForPii(
	client: pg.PoolClient,
	relation: { schema: string; table: string },
	displayName: string,
	target: string,
	allowColumns: string[],
	sampleRows?: number,
): Promise<PiiGateResult> {
	const findings = (await scanRelationForPii(client, relation, { sampleRows })).map((f) => ({ ...f, table: displayName }));
	const allowed = new Set(allowColumns);
	const blocking = findings.filter((f) => isDirectIdentifier(f) || !allowed.has(f.column));
	if (blocking.length) throw new PiiBlockedError(target, blocking);
	return { waived: findings.filter((f) => !blocking.includes(f)) };
}
