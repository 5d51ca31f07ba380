import { anonymiseItems, warehouseLookups } from './itemMode';
import { type PolicyTable, saltTypesOf } from './policy.schema';
import type { LoadedPolicy } from './policyLoader';
import { safeErrorText } from '../privacy/safeErrorText';
import type { AnonymiseDeps } from './runner';
import { resolveActiveSalts, saltVersionsJson } from './saltVersions';

type Row = Record<string, unknown>;

export const ITEMS_RELATION = 'n8n items';

export interface ItemRunResult {
	runId: string;
	rows: Row[];
	/** Input positions dropped because their subject was forgotten. */
	dropped: number[];
	tokensIssued: number;
}

/**
 * Anonymise Items with its audit row: dwh_control.anonymise_runs, mode 'items' (migration 0023), written before the
 * rows are touched so a failure is logged too. Rows themselves are never logged.
 */
export async function anonymiseItemsWithRunLog(deps: AnonymiseDeps, loaded: LoadedPolicy, table: PolicyTable, asOf: string, rows: Row[]): Promise<ItemRunResult> {
	const { policy } = loaded;
	const { rows: started } = await deps.warehouse.query<{ run_id: string }>(
		`INSERT INTO dwh_control.anonymise_runs (source_db, source_table, input_relation, output_relation, mode, status, policy_version, policy_sha256, as_of_date, rows_in, n8n_execution_id)
		 VALUES ($1, $2, $3, $3, 'items', 'running', $4, $5, $6, $7, $8) RETURNING run_id::text`,
		[policy.source_db, table.table, ITEMS_RELATION, policy.version, loaded.sha256, asOf, rows.length, deps.executionId ?? null],
	);
	const runId = started[0].run_id;
	try {
		const salts = await resolveActiveSalts(deps.warehouse, deps.secrets.salts, saltTypesOf(table));
		const out = await anonymiseItems({ salts, hmacKey: deps.secrets.hmacKey, lookups: warehouseLookups(deps.warehouse), vault: deps.vault }, { policy, table, asOf }, rows);
		await deps.warehouse.query(
			`UPDATE dwh_control.anonymise_runs SET status = 'published', salt_versions = $2::jsonb, rows_out = $3, tokens_issued = $4, run_finished_at = now() WHERE run_id = $1`,
			[runId, JSON.stringify(saltVersionsJson(salts)), out.rows.length, out.tokensIssued],
		);
		return { runId, ...out };
	} catch (err) {
		await deps.warehouse
			.query(`UPDATE dwh_control.anonymise_runs SET status = 'failed', error_message = $2, run_finished_at = now() WHERE run_id = $1`, [runId, safeErrorText(err)])
			.catch(() => undefined);
		throw err;
	}
}
