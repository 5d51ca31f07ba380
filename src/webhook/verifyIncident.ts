import type pg from 'pg';
import type { DbtCommandInput } from '../dbt/command.schema';
import { wolverineIncidentSchema, type WolverineIncident } from './incident.schema';
import { parseIncidentGate } from './gate.schema';
import { claimIncident } from './incidentClaim';
import { incidentToDbtCommand } from './incidentSelection';
import { claimRequest } from './requestClaim';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyIncidentSignature } from './signature';
import { withTransaction } from '../transport/transaction';

export type IncidentVerdict =
	| { accepted: true; httpStatus: 200; incidentId: string; severity: string; incident: WolverineIncident; dbtCommand: DbtCommandInput }
	| { accepted: false; httpStatus: 400 | 401 | 409; reason: string; message: string; incidentId?: string };

const DEFAULT_TOLERANCE_S = 300;

export interface VerifyIncidentInput {
	rawBody: Buffer | string;
	/** Request headers; names are matched case-insensitively. */
	headers: Record<string, unknown>;
	secret: string;
	/** Max Request Age; default 300. */
	toleranceS?: number;
	/**
	 * Replay guard and incident de-duplication, in one warehouse transaction. Omitted only by tests of the signature
	 * and payload rules; the node always passes it. `windowS` must be ≥ 2 × toleranceS (gate.schema.ts).
	 */
	dedup?: { db: pg.Pool; windowS: number; executionId?: string };
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
	const toleranceS = input.toleranceS ?? DEFAULT_TOLERANCE_S;
	// Settings that would let a replay through are refused before any request is looked at.
	if (input.dedup) parseIncidentGate({ dedupWindowSeconds: input.dedup.windowS, toleranceSeconds: toleranceS });
	const sig = verifyIncidentSignature({
		secret: input.secret,
		rawBody: input.rawBody,
		signature: header(input.headers, SIGNATURE_HEADER),
		timestamp: header(input.headers, TIMESTAMP_HEADER),
		toleranceS,
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
		const dedup = input.dedup;
		// One transaction: a request whose claim failed on a database error leaves no trace, so its retry is not a replay.
		const refusal = await withTransaction(dedup.db, async (tx): Promise<IncidentVerdict | null> => {
			const request = await claimRequest(tx, {
				mac: sig.mac,
				incidentId: incident.incident_id,
				timestampS: sig.timestamp,
				toleranceS,
				executionId: dedup.executionId,
			});
			if (!request.fresh) {
				return {
					accepted: false,
					httpStatus: 409,
					reason: 'replay',
					incidentId: incident.incident_id,
					message: `this exact signed request was already received at ${request.firstSeenAt}; a replayed request never starts another run (Wolverine must sign each delivery with a new timestamp)`,
				};
			}
			const claim = await claimIncident(
				tx,
				{ incidentId: incident.incident_id, severity: incident.severity, selection: dbtCommand.select ?? [], executionId: dedup.executionId },
				dedup.windowS,
			);
			if (claim.claimed) return null;
			return {
				accepted: false,
				httpStatus: 409,
				reason: 'duplicate',
				incidentId: incident.incident_id,
				message: `incident ${incident.incident_id} already started a rerun at ${claim.firstClaimedAt}; repeats within ${claim.windowS}s are ignored`,
			};
		});
		if (refusal) return refusal;
	}
	return { accepted: true, httpStatus: 200, incidentId: incident.incident_id, severity: incident.severity, incident, dbtCommand };
}
