import { escapeIdentifier as q } from 'pg';
import type pg from 'pg';
import { reconcileOptionsSchema, type ReconcileOptionsInput } from '../config/reconcile.schema';
import { getRegisteredTable } from '../control/registry';
import { bronzeTableExists, DELETED_AT_COLUMN } from '../extract/bronzeSchema';
import { readSourceColumns } from '../extract/sourceColumns';
import { resolveWatermarkColumn, windowPredicate } from '../extract/watermarkColumn';
import type { PipelineContext } from '../pipeline/context';
import { safeErrorText } from '../privacy/safeErrorText';
import { withTransaction } from '../transport/transaction';
import { classify, compareSides, type Difference } from './compare';
import { hasNativeOrder, type KeyColumn } from './keySql';
import { failReconcileRun, finishReconcileRun, startReconcileRun, type Finding, type ReconcileCounts, type ReconcileStatus } from './reconcileRuns';
import { excludeForgotten } from './forgotten';
import { personalDataOf } from './personalData';
import { repairDifferences } from './repair';
import { Side } from './side';

export class ReconcileError extends Error {
	constructor(
		message: string,
		/** The dwh_control.reconcile_runs row recorded as failed, when the reconcile got as far as starting one. */
		public reconcileRunId: number | null = null,
	) {
		super(message);
		this.name = 'ReconcileError';
	}
}

export interface ReconcileResult extends ReconcileCounts {
	table: string;
	reconcileRunId: number | null;
	status: ReconcileStatus;
	/** Confirmed differences (after the re-check), each with what the repair did. Key values only. */
	findings: Finding[];
}

export interface ReconcileHooks {
	/**
	 * The anonymisation-secrets HMAC key: keys of people Forget Users forgot are then told apart (forgotten.ts). A
	 * secret, so not one of the (loggable) options.
	 */
	hmacKey?: string;
	/** Test seam: runs between the comparison and the re-check of its differing keys (where concurrent writes matter). */
	beforeRecheck?: () => Promise<void>;
}

function poolMax(pool: pg.Pool): number {
	return pool.options.max ?? 10;
}

/**
 * Proves bronze equals the source for one registered incremental table, up to its loaded watermark minus the lookback
 * (rows stamped later may still be on their way: the next window carries them). Compares hashed key ranges on both
 * servers, re-checks each differing key once, records the run and its findings in dwh_control, and with `repair`
 * re-extracts and applies the delete policy by key. Never reads a row's other columns.
 */
export async function reconcileTable(
	ctx: PipelineContext,
	tableName: string,
	input: ReconcileOptionsInput = {},
	hooks: ReconcileHooks = {},
): Promise<ReconcileResult> {
	const o = reconcileOptionsSchema.parse(input);
	const t = await getRegisteredTable(ctx.warehouse, tableName);
	if (t.mode !== 'incremental') {
		throw new ReconcileError(`${t.table_name} is a snapshot table: every load replaces bronze with the whole source table, so there is nothing to reconcile`);
	}
	const { rows: wmRows } = await ctx.warehouse.query<{ w: string; u: string; loaded: boolean }>(
		`SELECT last_extracted_at::text AS w, (last_extracted_at - lookback)::text AS u, isfinite(last_extracted_at) AS loaded
		   FROM dwh_control.extract_watermarks JOIN dwh_control.source_tables USING (table_name) WHERE table_name = $1`,
		[t.table_name],
	);
	if (!wmRows[0]?.loaded || !(await bronzeTableExists(ctx.warehouse, t.table_name))) {
		throw new ReconcileError(`${t.table_name} has not been loaded yet (no watermark): extract and load it first, then reconcile`);
	}
	const { w: watermark, u: comparedUpTo } = wmRows[0];

	const reconcileRunId = await startReconcileRun(ctx.warehouse, t.table_name, o.repair, ctx.executionId);
	try {
		const sourcePool = ctx.sources.get(t.source_db);
		const client = await sourcePool.connect();
		let sourceKeys: KeyColumn[];
		let comparedPredicate: string;
		try {
			const columns = await readSourceColumns(client, t.source_schema, t.source_table);
			if (columns.length === 0)
				throw new ReconcileError(`Source table ${t.source_db}.${t.source_schema}.${t.source_table} not found (or not readable by the replica login)`);
			const wmCol = await resolveWatermarkColumn(client, t, columns);
			// Both sides hold the column with the same type and local values, so one predicate bounds both.
			comparedPredicate = windowPredicate(wmCol, '-infinity', comparedUpTo);
			sourceKeys = t.key_columns.map((k) => {
				const c = columns.find((col) => col.name === k);
				if (!c) throw new ReconcileError(`Key column ${k} of ${t.table_name} is not in the source table — fix key_columns in the registry`);
				return { name: k, type: c.type, nativeOrder: hasNativeOrder(c.type, c.userDefined) };
			});
		} finally {
			client.release();
		}

		const { rows: bronzeCols } = await ctx.warehouse.query<{ name: string; type: string }>(
			`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
			  WHERE a.attrelid = to_regclass(format('raw.%I', $1::text)) AND a.attnum > 0 AND NOT a.attisdropped`,
			[t.table_name],
		);
		const bronzeKeys = sourceKeys.map((k) => ({ ...k, type: bronzeCols.find((c) => c.name === k.name)?.type ?? k.type }));
		const hasDeletedAt = bronzeCols.some((c) => c.name === DELETED_AT_COLUMN);
		const present = hasDeletedAt ? `${q(DELETED_AT_COLUMN)} IS NULL` : 'true';

		const source = new Side('source', sourcePool, `${q(t.source_schema)}.${q(t.source_table)}`, sourceKeys, t.watermark_column!, comparedPredicate);
		const bronze = new Side('bronze', ctx.warehouse, `raw.${q(t.table_name)}`, bronzeKeys, t.watermark_column!, `${comparedPredicate} AND ${present}`, present);
		const parallel = Math.max(1, Math.min(o.parallel, poolMax(sourcePool), poolMax(ctx.warehouse)));
		const outcome = await compareSides(source, bronze, { ...o, parallel });
		ctx.log?.(
			`${t.table_name}: reconcile ${reconcileRunId} compared ${outcome.rangesCompared} ranges up to ${comparedUpTo}, ${outcome.differences.length} differing key(s) to re-check`,
		);

		await hooks.beforeRecheck?.();
		// Once more, key by key, on fresh statements: a key that changed meanwhile is no difference.
		let confirmed: Difference[] = [];
		let changed = 0;
		if (outcome.differences.length) {
			const keys = outcome.differences.map((d) => d.key);
			const [s, b] = await Promise.all([source.lookup(keys), bronze.lookup(keys)]);
			({ differences: confirmed, changed } = classify(s, b));
			changed += keys.length - confirmed.length - changed;
		}

		const notes: string[] = [];
		// Whether rows hold personal data decides what happens to forgotten people's keys and to rows deleted at the source.
		const personal = confirmed.length
			? personalDataOf(
					t,
					bronzeCols.map((c) => c.name),
					o.policiesDir,
			  )
			: null;
		let forgotten = 0;
		let reextract = true;
		if (personal?.kind === 'personal') {
			const check = await excludeForgotten(ctx.warehouse, source, personal.subject, confirmed, hooks.hmacKey);
			({ differences: confirmed, forgotten, reextract } = check);
			// "Not re-extracted" only means something to a repair.
			if (check.note && (o.repair || forgotten)) notes.push(check.note);
		}
		let findings: Finding[] = confirmed.map((d) => ({ ...d, action: 'reported', resolved: false }));
		let repairRunId: number | null = null;
		let erased = 0;
		if (o.repair && confirmed.length) {
			const repaired = await repairDifferences(ctx, t, confirmed, { source, bronze, bronzeKeys, bronzeHasDeletedAt: hasDeletedAt, personal, reextract });
			findings = repaired.findings;
			repairRunId = repaired.repairRunId;
			erased = repaired.erased;
			notes.push(...repaired.notes);
		}
		if (outcome.truncated) notes.unshift(`stopped after ${o.maxFindings} differing keys: reseed the table (reset_watermark) rather than repair it by key`);
		const count = (kind: Difference['kind']) => confirmed.filter((d) => d.kind === kind).length;
		const unresolved = findings.filter((f) => !f.resolved).length + (outcome.truncated ? 1 : 0);
		const counts: ReconcileCounts = {
			watermark,
			comparedUpTo,
			sourceRows: outcome.sourceRows,
			bronzeRows: outcome.bronzeRows,
			rangesCompared: outcome.rangesCompared,
			sourceRowsRead: source.rowsRead,
			bronzeRowsRead: bronze.rowsRead,
			missingInBronze: count('missing_in_bronze'),
			extraInBronze: count('extra_in_bronze'),
			staleInBronze: count('stale_in_bronze'),
			erasedInBronze: erased,
			forgottenSubjects: forgotten,
			changedDuringRun: changed,
			unresolved,
			findingsTruncated: outcome.truncated,
			repairRunId,
			message: notes.join('; '),
		};
		const status: ReconcileStatus = unresolved > 0 ? 'differences' : findings.length ? 'repaired' : 'matched';
		await withTransaction(ctx.warehouse, (c) => finishReconcileRun(c, reconcileRunId, status, counts, findings));
		ctx.log?.(
			`${t.table_name}: reconcile ${reconcileRunId} ${status}: ${counts.missingInBronze} missing, ${counts.extraInBronze} deleted at source, ` +
				`${counts.staleInBronze} stale, ${changed} changed meanwhile`,
		);
		return { table: t.table_name, reconcileRunId, status, findings, ...counts };
	} catch (err) {
		await failReconcileRun(ctx.warehouse, reconcileRunId, err).catch(() => undefined);
		if (err instanceof ReconcileError) {
			err.reconcileRunId ??= reconcileRunId;
			throw err;
		}
		throw new ReconcileError(`Reconcile ${reconcileRunId} of ${t.table_name} failed: ${safeErrorText(err)}`, reconcileRunId);
	}
}
