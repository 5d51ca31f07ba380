import type pg from 'pg';
import type { DbtCommandInput } from '../dbt/command.schema';
import { wolverineIncidentSchema, type WolverineIncident } from './incident.schema';
import { claimIncident } from './incidentClaim';
import { incidentToDbtCommand } from './incidentSelection';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyIncidentSignature } from './signature';

export type IncidentVerdict =
	| { accepted: true; httpStatus: 200; incidentId: string; severity: string; incident: WolverineIncident; dbtCommand: DbtCommandInput }
	| { accepted: false; httpStatus: 400 | 401 | 409; reason: string; message: string; incidentId?: string };

export interface VerifyIncidentInput {
	rawBody: Buffer | string;
	/** Request headers; names are matched case-insensitively. */
	headers: Record<string, unknown>;
	secret: string;
	toleranceS?: number;
	/** De-duplication: omit to skip it (a test, a hand-run replay). */
	dedup?: { db: pg.Pool | pg.PoolClient; windowS: number; executionId?: string };
	nowS?: number;
}

function header(headers: Record<string, unknown>, name: string): string | undefined {
	for (const [k, v] of Object.entries(headers)) {
		if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : v == null ? undefined : String(v);
	}
	return undefined;
}

/**
 * The whole gate in front of an incident rerun, in the order that leaks least: signature first (an unsigned or
 * stale request learns nothing about the payload rules), then the payload, then the de-duplication claim. Only an
 * accepted verdict carries a dbt command; every refusal says why with the HTTP status to answer.
 */
export async function verifyIncident(input: VerifyIncidentInput): Promise<IncidentVerdict> {
	const sig = verifyIncidentSignature({
		secret: input.secret,
		rawBody: input.rawBody,
		signature: header(input.headers, SIGNATURE_HEADER),
		timestamp: header(input.headers, TIMESTAMP_HEADER),
		toleranceS: input.toleranceS,
		nowS: input.nowS,
	});
	if (!sig.ok) return { accepted: false, httpStatus: 401, reason: sig.reason, message: sig.message };

	let json: unknown;
	try {
		json = JSON.parse(Buffer.isBuffer(input.rawBody) ? input.rawBody.toString('utf8') : input.rawBody);
	} catch {
		return { accepted: false, httpStatus: 400, reason: 'invalid_json', message: 'request body is not JSON' };
	}
	const parsed = wolverineIncidentSchema.safeParse(json);
	if (!parsed.success) {
		const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
		return { accepted: false, httpStatus: 400, reason: 'invalid_payload', message };
	}
	const incident = parsed.data;
	const dbtCommand = incidentToDbtCommand(incident);

	if (input.dedup) {
		const claim = await claimIncident(
			input.dedup.db,
			{ incidentId: incident.incident_id, severity: incident.severity, selection: dbtCommand.select ?? [], executionId: input.dedup.executionId },
			input.dedup.windowS,
		);
		if (!claim.claimed) {
			return {
				accepted: false,
				httpStatus: 409,
				reason: 'duplicate',
				incidentId: incident.incident_id,
				message: `incident ${incident.incident_id} already started a rerun at ${claim.firstClaimedAt}; repeats within ${claim.windowS}s are ignored`,
			};
		}
	}
	return { accepted: true, httpStatus: 200, incidentId: incident.incident_id, severity: incident.severity, incident, dbtCommand };
}
