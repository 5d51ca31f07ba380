import type pg from 'pg';

export type IncidentClaim = { claimed: true; claimCount: number } | { claimed: false; firstClaimedAt: string; claimCount: number; windowS: number };

/**
 * De-duplicates incident reruns across n8n executions and workers: the first request for an incident inserts its
 * claim; a repeat within `windowS` finds the row and is refused, atomically (ON CONFLICT takes the row lock, so of
 * two simultaneous requests exactly one gets RETURNING). After the window the incident may be rerun again.
 */
export async function claimIncident(
	db: pg.Pool | pg.PoolClient,
	incident: { incidentId: string; severity: string; selection: string[]; executionId?: string },
	windowS: number,
): Promise<IncidentClaim> {
	const { rows } = await db.query<{ claim_count: number }>(
		`INSERT INTO dwh_control.dbt_incident_claims AS c (incident_id, severity, selection, n8n_execution_id)
		 VALUES ($1, $2, $3, $4)
		 ON CONFLICT (incident_id) DO UPDATE
		    SET claimed_at = now(), claim_count = c.claim_count + 1, severity = EXCLUDED.severity,
		        selection = EXCLUDED.selection, n8n_execution_id = EXCLUDED.n8n_execution_id
		  WHERE c.claimed_at < now() - make_interval(secs => $5)
		 RETURNING claim_count`,
		[incident.incidentId, incident.severity, incident.selection, incident.executionId ?? null, windowS],
	);
	if (rows.length) return { claimed: true, claimCount: rows[0].claim_count };
	const prev = await db.query<{ at: string; claim_count: number }>(
		`UPDATE dwh_control.dbt_incident_claims SET duplicates_refused = duplicates_refused + 1
		  WHERE incident_id = $1 RETURNING claimed_at::text AS at, claim_count`,
		[incident.incidentId],
	);
	return { claimed: false, firstClaimedAt: prev.rows[0]?.at ?? '', claimCount: prev.rows[0]?.claim_count ?? 1, windowS };
}
