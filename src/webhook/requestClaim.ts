import { createHash } from 'node:crypto';
import type pg from 'pg';

/**
 * Replay guard keyed on the request itself, not on the incident: the verified MAC over `<timestamp>.<body>` names
 * exactly one signed request. The first delivery inserts it; the same bytes again (a captured request replayed, by
 * anyone, at any Duplicate Window) find the row and are refused. A row is kept until its signature can no longer
 * pass the age check (timestamp + Max Request Age), plus a day for clock skew between n8n and the warehouse.
 * Only a digest of the MAC is stored.
 */
export async function claimRequest(
	db: pg.ClientBase,
	req: { mac: string; incidentId: string; timestampS: number; toleranceS: number; executionId?: string },
): Promise<{ fresh: true } | { fresh: false; firstSeenAt: string }> {
	const digest = createHash('sha256').update(req.mac).digest('hex');
	await db.query(`DELETE FROM dwh_control.dbt_webhook_requests WHERE valid_until < now() - interval '1 day'`);
	const { rows } = await db.query(
		`INSERT INTO dwh_control.dbt_webhook_requests (request_digest, incident_id, request_timestamp, valid_until, n8n_execution_id)
		 VALUES ($1, $2, to_timestamp($3), to_timestamp($3 + $4), $5)
		 ON CONFLICT (request_digest) DO NOTHING
		 RETURNING 1`,
		[digest, req.incidentId, req.timestampS, req.toleranceS, req.executionId ?? null],
	);
	if (rows.length) return { fresh: true };
	const prev = await db.query<{ at: string }>(
		`UPDATE dwh_control.dbt_webhook_requests SET replays_refused = replays_refused + 1 WHERE request_digest = $1 RETURNING received_at::text AS at`,
		[digest],
	);
	return { fresh: false, firstSeenAt: prev.rows[0]?.at ?? '' };
}
