import type pg from 'pg';
import type { ResidueReport } from './residueScan';

/**
 * Records a residue report in dwh_control.residue_checks against the subject's latest forget request, so
 * v_residue_alerts can raise residue that outlives the erasure SLA. Places and counts only, as the report has them.
 */
export async function recordResidueCheck(warehouse: pg.Pool, report: ResidueReport, executionId?: string | null): Promise<string> {
	const residue = report.residue.map((f) => ({
		place: f.place,
		location: f.location,
		count: f.count,
		matched: f.matched,
		...(f.expiresAt ? { expiresAt: f.expiresAt } : {}),
	}));
	const { rows } = await warehouse.query<{ id: string }>(
		`INSERT INTO dwh_control.residue_checks (subject_hmac, request_id, residue_places, holds, residue, searched, n8n_execution_id)
		 VALUES ($1, (SELECT max(request_id) FROM dwh_control.rtbf_requests WHERE subject_hmac = $1), $2, $3, $4::jsonb, $5::jsonb, $6)
		 RETURNING check_id::text AS id`,
		[report.subjectHmac, report.residue.length, report.holds.length, JSON.stringify(residue), JSON.stringify(report.searched), executionId ?? null],
	);
	return rows[0].id;
}
