import { escapeIdentifier as q } from 'pg';
import type { RegisteredTable } from '../config/registry.schema';
import { withTableLock } from '../control/tableLock';
import { DELETED_AT_COLUMN } from '../extract/bronzeSchema';
import { extractTable } from '../extract/extractTable';
import { loadBronze } from '../load/loadBronze';
import type { PipelineContext } from '../pipeline/context';
import { safeErrorText } from '../privacy/safeErrorText';
import { withTransaction } from '../transport/transaction';
import { classify, type Difference } from './compare';
import { keysInJson, type KeyColumn, type KeyTuple } from './keySql';
import type { PersonalData } from './personalData';
import type { Finding, FindingAction } from './reconcileRuns';
import type { Side } from './side';

/** How long a mark/delete waits for an extract or load of the table to finish. */
const LOCK_WAIT_MS = 120_000;

export interface RepairSides {
	source: Side;
	bronze: Side;
	bronzeKeys: KeyColumn[];
	bronzeHasDeletedAt: boolean;
	/** What the policy says about the table's rows (null: no differences needed it). */
	personal: PersonalData | null;
	/** False: missing and stale keys are not re-extracted (forgotten people cannot be told apart, forgotten.ts). */
	reextract: boolean;
}

export interface RepairOutcome {
	findings: Finding[];
	repairRunId: number | null;
	notes: string[];
	/** Bronze rows deleted at the source whose personal columns were erased. */
	erased: number;
}

/** What happens to bronze rows whose key is gone from the source: the registry's on_source_delete, or erasure. */
interface DeletePolicy {
	action: 'report' | 'mark' | 'delete' | 'erase';
	/** erase: the columns set to NULL (the row is also marked _dwh_deleted_at). */
	eraseColumns: string[];
}

const GONE_ACTION: Record<DeletePolicy['action'], FindingAction> = { report: 'reported', mark: 'marked_deleted', delete: 'deleted', erase: 'erased' };

/**
 * A table whose anonymisation policy names a subject column holds personal data, and a row deleted at the source must
 * not keep it in bronze (POPIA/GDPR minimisation): 'report' and 'mark' become 'erase' (marked, personal columns set
 * to NULL); 'delete' stays — except for the person's own row (subject = key), which is erased and kept marked so the
 * nightly Forget Users sweep forgets the person everywhere (findFlaggedUsers reads the mark). docs/reconcile.md.
 */
function deletePolicy(t: RegisteredTable, personal: PersonalData | null, notes: string[]): DeletePolicy {
	if (personal?.kind === 'unknown') {
		notes.push(
			`rows deleted at the source follow on_source_delete '${t.on_source_delete}' only: cannot tell whether they hold personal data (${personal.reason})`,
		);
	}
	if (personal?.kind !== 'personal' || (t.on_source_delete === 'delete' && !personal.subjectIsKey)) return { action: t.on_source_delete, eraseColumns: [] };
	return { action: 'erase', eraseColumns: personal.eraseColumns };
}

/**
 * Repairs confirmed differences by key:
 * - missing and stale keys are re-extracted through the normal path: one extract run of mode 'repair' (its CSV in
 *   exports/, its row count and sha256 checked by the load, the later run's version winning in the merge), loaded by
 *   loadBronze, which leaves the watermark alone for such a run;
 * - keys deleted at the source follow the table's on_source_delete: report (nothing changes), mark (bronze rows get
 *   _dwh_deleted_at = now()) or delete — only keys still absent from the source right before, under the table lock;
 * then every key is looked up on both sides again, and `resolved` says whether it now matches.
 */
export async function repairDifferences(ctx: PipelineContext, t: RegisteredTable, differences: Difference[], sides: RepairSides): Promise<RepairOutcome> {
	const { source, bronze, bronzeKeys, bronzeHasDeletedAt, personal } = sides;
	const notes: string[] = [];
	const bronzeTable = `raw.${q(t.table_name)}`;
	const reread = sides.reextract ? differences.filter((d) => d.kind !== 'extra_in_bronze').map((d) => d.key) : [];
	let repairRunId: number | null = null;
	if (reread.length) {
		const ex = await extractTable(ctx, t.table_name, { keys: reread });
		repairRunId = ex.runId;
		if (ex.status !== 'uploaded') {
			notes.push(`repair extract ${ex.status}: ${ex.message}`);
		} else {
			try {
				const ld = await loadBronze(ctx, { table: t.table_name, runId: ex.runId!, csvPath: ex.csvPath! });
				notes.push(`repair run ${ex.runId}: ${ld.rowsInserted} inserted, ${ld.rowsUpdated} updated, ${ld.rowsUnchanged} unchanged`);
				if (bronzeHasDeletedAt) {
					// A key back at the source is no longer deleted.
					await ctx.warehouse.query(
						`UPDATE ${bronzeTable} SET ${q(DELETED_AT_COLUMN)} = NULL WHERE ${q(DELETED_AT_COLUMN)} IS NOT NULL AND ${keysInJson(bronzeKeys, '$1::json')}`,
						[JSON.stringify(reread)],
					);
				}
			} catch (err) {
				notes.push(`repair load of run ${ex.runId} failed: ${safeErrorText(err)}`);
			}
		}
	}

	const deleted = differences.filter((d) => d.kind === 'extra_in_bronze').map((d) => d.key);
	const policy = deleted.length ? deletePolicy(t, personal, notes) : null;
	let gone: KeyTuple[] = [];
	let erased = 0;
	if (deleted.length && policy && policy.action !== 'report') {
		const back = new Set((await source.lookup(deleted)).map((r) => JSON.stringify(r.key)));
		gone = deleted.filter((k) => !back.has(JSON.stringify(k)));
		if (gone.length) {
			const applied = await applyDeletePolicy(ctx, t, bronzeKeys, gone, bronzeHasDeletedAt, policy);
			notes.push(applied.note);
			if (!applied.done) gone = [];
			else if (policy.action === 'erase') erased = applied.rows;
		}
	}
	const goneSet = new Set(gone.map((k) => JSON.stringify(k)));

	// Marked rows still exist in bronze; the policy itself settled those keys.
	const all = differences.map((d) => d.key).filter((k) => !goneSet.has(JSON.stringify(k)));
	const [s, b] = await Promise.all([source.lookup(all), bronze.lookup(all)]);
	const open = new Set(classify(s, b).differences.map((d) => JSON.stringify(d.key)));
	const findings = differences.map((d): Finding => {
		const id = JSON.stringify(d.key);
		const action: FindingAction =
			d.kind !== 'extra_in_bronze' ? (repairRunId ? 'reextracted' : 'reported') : goneSet.has(id) && policy ? GONE_ACTION[policy.action] : 'reported';
		return { ...d, action, resolved: !open.has(id) };
	});
	if (t.load_strategy === 'append' && findings.some((f) => f.kind === 'stale_in_bronze' && !f.resolved)) {
		notes.push(`stale rows stay: an append table keeps the first version of a key (register it as upsert if its rows change)`);
	}
	return { findings, repairRunId, notes, erased };
}

type DeleteOutcome = { note: string; done: boolean; rows: number };

async function applyDeletePolicy(
	ctx: PipelineContext,
	t: RegisteredTable,
	keys: KeyColumn[],
	gone: KeyTuple[],
	hasDeletedAt: boolean,
	policy: DeletePolicy,
): Promise<DeleteOutcome> {
	const bronze = `raw.${q(t.table_name)}`;
	const verb = { report: 'reported', mark: 'marked', delete: 'deleted', erase: 'erased' }[policy.action];
	return withTableLock<DeleteOutcome>(
		ctx.warehouse,
		t.table_name,
		LOCK_WAIT_MS,
		() => ({
			note: `${t.table_name} was busy for ${LOCK_WAIT_MS / 1000}s: ${gone.length} key(s) deleted at the source were not ${verb}`,
			done: false,
			rows: 0,
		}),
		async () => {
			const n = await withTransaction(ctx.warehouse, async (c) => {
				if (policy.action === 'delete') {
					return (await c.query(`DELETE FROM ${bronze} WHERE ${keysInJson(keys, '$1::json')}`, [JSON.stringify(gone)])).rowCount;
				}
				if (!hasDeletedAt) {
					// The ETL login does not own bronze: a SECURITY DEFINER function (the migration baseline) adds exactly this column.
					await c.query('SELECT dwh_control.add_bronze_deleted_at($1)', [t.table_name]).catch((err: { code?: string }) => {
						if (err.code !== '42501') throw err;
						throw new Error(
							`rows deleted at the source need the column ${DELETED_AT_COLUMN} in raw.${t.table_name} and this login may not add it: ` +
								`as the table's owner run ALTER TABLE raw.${t.table_name} ADD COLUMN ${DELETED_AT_COLUMN} timestamptz${
									policy.action === 'mark' ? ', or set on_source_delete to report or delete' : ''
								}`,
						);
					});
				}
				if (policy.action === 'mark') {
					return (
						await c.query(`UPDATE ${bronze} SET ${q(DELETED_AT_COLUMN)} = now() WHERE ${q(DELETED_AT_COLUMN)} IS NULL AND ${keysInJson(keys, '$1::json')}`, [
							JSON.stringify(gone),
						])
					).rowCount;
				}
				const cleared = policy.eraseColumns.map((col) => `, ${q(col)} = NULL`).join('');
				return (
					await c.query(
						`UPDATE ${bronze} SET ${q(DELETED_AT_COLUMN)} = coalesce(${q(DELETED_AT_COLUMN)}, now())${cleared} WHERE ${keysInJson(keys, '$1::json')}`,
						[JSON.stringify(gone)],
					)
				).rowCount;
			});
			const how =
				policy.action === 'erase'
					? `erased (personal columns set to NULL: ${policy.eraseColumns.join(', ') || 'none besides the key'}; marked ${DELETED_AT_COLUMN})`
					: policy.action === 'mark'
					? `marked (${DELETED_AT_COLUMN})`
					: 'deleted';
			return { note: `${n ?? 0} bronze row(s) deleted at the source ${how}`, done: true, rows: n ?? 0 };
		},
		(err) => !(typeof (err as { code?: unknown }).code === 'string'),
	);
}
