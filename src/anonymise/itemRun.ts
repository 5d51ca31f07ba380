import { checkItemsForPii, ItemsPiiBlockedError, type ItemPiiFinding } from './itemGate';
import { anonymiseItems, warehouseLookups } from './itemMode';
import { type PolicyTable, saltTypesOf } from './policy.schema';
import type { LoadedPolicy } from './policyLoader';
import { failAnonymiseRun, finishAnonymiseRun, startAnonymiseRun } from './anonymiseRunLog';
import type { AnonymiseDeps } from './runner';
import { resolveActiveSalts, saltVersionsJson } from './saltVersions';

type Row = Record<string, unknown>;

export const ITEMS_RELATION = 'n8n items';

export interface ItemRunResult {
	runId: string;
	rows: Row[];
	/** Input positions dropped because their subject was forgotten. */
	dropped: number[];
	/** Input position of each output row. */
	positions: number[];
	/** Items the PII gate held back (only with continueOnFail; otherwise the whole call throws). */
	blocked: { item: number; error: ItemsPiiBlockedError }[];
	tokensIssued: number;
}

export interface ItemRunOptions {
	/** n8n's Continue On Fail: a blocked item becomes an error, the clean items still go out. */
	continueOnFail?: boolean;
}

/**
 * Anonymise Items with its audit row: dwh_control.anonymise_runs, mode 'items' (the migration baseline), written before the
 * rows are touched so a failure is logged too. Rows themselves are never logged.
 *
 * The output passes the same PII gate as set mode (itemGate.ts) before it is returned: a finding blocks the batch
 * (run 'blocked', ItemsPiiBlockedError), or with continueOnFail only the items it was found in (run 'published' with
 * the findings recorded). pii_check.allow_columns of the policy table applies as in set mode.
 */
export async function anonymiseItemsWithRunLog(
	deps: AnonymiseDeps,
	loaded: LoadedPolicy,
	table: PolicyTable,
	asOf: string,
	rows: Row[],
	opts: ItemRunOptions = {},
): Promise<ItemRunResult> {
	const { policy } = loaded;
	const runId = await startAnonymiseRun(deps.warehouse, {
		sourceDb: policy.source_db,
		sourceTable: table.table,
		inputRelation: ITEMS_RELATION,
		outputRelation: ITEMS_RELATION,
		mode: 'items',
		policyVersion: policy.version,
		policySha256: loaded.sha256,
		asOf,
		rowsIn: rows.length,
		executionId: deps.executionId,
	});
	try {
		const salts = await resolveActiveSalts(deps.warehouse, deps.secrets.salts, saltTypesOf(table));
		const out = await anonymiseItems(
			{ salts, hmacKey: deps.secrets.hmacKey, lookups: warehouseLookups(deps.warehouse), vault: deps.vault },
			{ policy, table, asOf },
			rows,
		);
		const dropped = new Set(out.dropped);
		const positions = rows.map((_, i) => i).filter((i) => !dropped.has(i));
		const source = `${policy.source_db}.${table.table}`;
		const findings = checkItemsForPii(out.rows, positions, ITEMS_RELATION, table.pii_check.allow_columns);
		if (findings.length && !opts.continueOnFail) {
			const error = new ItemsPiiBlockedError(source, findings);
			await finishAnonymiseRun(deps.warehouse, runId, 'blocked', {
				saltVersions: saltVersionsJson(salts),
				rowsOut: 0,
				tokensIssued: out.tokensIssued,
				findings,
				error,
			});
			throw error;
		}
		const blockedAt = new Map<number, ItemPiiFinding[]>();
		for (const f of findings) for (const i of f.items) blockedAt.set(i, [...(blockedAt.get(i) ?? []), { ...f, items: [i] }]);
		const keep = positions.map((_, j) => j).filter((j) => !blockedAt.has(positions[j]));
		const blocked = [...blockedAt].sort(([a], [b]) => a - b).map(([item, fs]) => ({ item, error: new ItemsPiiBlockedError(source, fs, item) }));
		await finishAnonymiseRun(deps.warehouse, runId, 'published', {
			saltVersions: saltVersionsJson(salts),
			rowsOut: keep.length,
			tokensIssued: out.tokensIssued,
			findings: findings.length ? findings : null,
		});
		return {
			runId,
			rows: keep.map((j) => out.rows[j]),
			dropped: out.dropped,
			positions: keep.map((j) => positions[j]),
			blocked,
			tokensIssued: out.tokensIssued,
		};
	} catch (err) {
		if (err instanceof ItemsPiiBlockedError) throw err;
		await failAnonymiseRun(deps.warehouse, runId, err);
		throw err;
	}
}
