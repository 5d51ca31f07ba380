import { finishRtbfRequest, noteRtbfRetryFailed, recordRtbfActions, type ForgetAction, type ForgetOutcome } from './rtbfAudit';
import { safeErrorText } from '../privacy/safeErrorText';
import type { AnonymiseDeps } from './runner';
import { withTransaction } from '../transport/transaction';

/**
 * Finishes right-to-be-forgotten requests left 'partial': the warehouse rows were removed but the vault purge failed
 * or had no vault connection. The user id is gone with their rows (so the nightly sweep can no longer find them),
 * but the purge needs only the subject HMAC, which the request kept. Forget Users runs this first whenever it has a
 * vault, so the sweep heals these by itself and the 30-day SLA clock (rtbf_sla) stops when the purge succeeds.
 * Each request is locked (SKIP LOCKED) while it is retried, so two sweeps never complete it twice.
 */
export async function completePartialForgets(deps: AnonymiseDeps, limit = 500): Promise<ForgetOutcome[]> {
	const vault = deps.vault;
	if (!vault) return [];
	const { rows: open } = await deps.warehouse.query<{ id: string }>(
		`SELECT request_id::text AS id FROM dwh_control.rtbf_requests WHERE status = 'partial' ORDER BY requested_at, request_id LIMIT $1`,
		[limit],
	);
	const outcomes: ForgetOutcome[] = [];
	for (const { id } of open) {
		const outcome = await withTransaction(deps.warehouse, async (client): Promise<ForgetOutcome | null> => {
			const { rows } = await client.query<{ subject: string }>(
				`SELECT subject_hmac AS subject FROM dwh_control.rtbf_requests WHERE request_id = $1 AND status = 'partial' FOR UPDATE SKIP LOCKED`,
				[id],
			);
			if (!rows.length) return null;
			const subject = rows[0].subject;
			try {
				const purged = await vault.purgeSubjects([subject]);
				const purge: ForgetAction = { relation: 'compliance.token_vault', action: 'vault_purged', rows: purged.tokensPurged };
				await recordRtbfActions(client, id, [purge]);
				await finishRtbfRequest(client, id, 'completed', null);
				return {
					requestId: id,
					subjectHmac: subject,
					status: 'completed',
					actions: [purge],
					rowsRemoved: purged.tokensPurged,
					completedPartial: true,
				};
			} catch (err) {
				const message = `warehouse rows removed; vault purge retried at ${new Date().toISOString()} and failed again: ${safeErrorText(err)}`;
				await noteRtbfRetryFailed(client, id, message);
				return { requestId: id, subjectHmac: subject, status: 'partial', actions: [], rowsRemoved: 0, completedPartial: true };
			}
		});
		if (outcome) outcomes.push(outcome);
	}
	return outcomes;
}
