import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyOutStream } from '../transport/copyOutStream';
import { bronzeType } from '../extract/sourceColumns';
import { kAnonymityReport } from '../privacy/kAnonymity';
import { claimPushRun, failPushRun, finishPushRun, recordSkippedPush, type PushCounts, type PushRunIdentity } from './pushRuns';
import { checkSourceForPii } from './piiGate';
import { buildSourceSelects, buildSyncSql, relationName, type SyncColumn } from './syncSql';
import { parsePushTarget, type PushResult, type PushTarget, type PushTargetInput } from './target.schema';
import { lockTarget, unlockTarget } from './targetLock';
import { ensureAppRole, ensureTargetTable, grantAppRead, lockTargetSchema } from './targetTable';
import { openWarehouseSource, PushSourceError, type WarehouseSource } from './warehouseSource';
import { safeErrorText } from '../privacy/safeErrorText';
import { inTransaction } from '../transport/transaction';

export interface PushContext {
	/** The warehouse (data_warehouse): source marts and dwh_control.push_runs. */
	warehouse: pg.Pool;
	/** The apps' analytics_db. Needs session pooling (or a direct connection): the lock and staging are per session. */
	analytics: pg.Pool;
	executionId?: string;
	log?: (message: string) => void;
}

export interface PushOptions {
	/** How long to queue behind another push of the same target before recording this one as skipped. */
	lockWaitMs?: number;
	/** Rows the PII content check samples from the source. */
	piiSampleRows?: number;
}

export const DEFAULT_LOCK_WAIT_MS = 60_000;

const NUMERIC_TYPES = /^(smallint|integer|bigint|numeric(\(.*\))?|real|double precision)$/;

/** Thrown after the run log has recorded the failure; the target is exactly as it was before the push. */
export class PushFailedError extends Error {
	constructor(readonly target: string, readonly runId: number, cause: unknown) {
		super(`Push of ${target} failed (run ${runId}); analytics_db was left unchanged: ${safeErrorText(cause)}`);
		this.name = 'PushFailedError';
		this.cause = cause;
	}
}

/**
 * One push-back of a warehouse source into analytics_db:
 *   lock the target (advisory lock on analytics_db) → claim the run → PII-check the source → COPY the rows that
 *   pass the k gate (and the keys of those that do not) into session staging tables on analytics_db → ONE
 *   transaction: create/check table, role, grants; delete suppressed keys; (mirror) delete vanished keys; update
 *   changed rows; insert new ones; re-check k on the result → commit → close the run.
 * Rows never pass through JS objects: COPY TO STDOUT is piped straight into COPY FROM STDIN.
 */
export async function pushTarget(ctx: PushContext, input: PushTargetInput | PushTarget, opts: PushOptions = {}): Promise<PushResult> {
	const t = parsePushTarget(input);
	const started = Date.now();
	const relation = `${t.target.schema}.${t.target.table}`;
	const log = ctx.log ?? (() => undefined);
	const identity: PushRunIdentity = {
		targetName: t.name,
		targetRelation: relation,
		sourceDescription: t.source.kind === 'relation' ? `${t.source.schema}.${t.source.table}` : 'query',
		mode: t.mode,
		k: t.kAnonymity?.k ?? null,
		groupSizeColumn: t.kAnonymity?.groupSizeColumn ?? null,
		executionId: ctx.executionId,
	};
	const base = {
		target: t.name,
		targetRelation: relation,
		mode: t.mode,
		created: false,
		rowsStaged: 0,
		inserted: 0,
		updated: 0,
		unchanged: 0,
		deleted: 0,
		suppressed: 0,
		suppressedRemoved: 0,
	};

	const client = await ctx.analytics.connect();
	const onError = () => undefined;
	client.on('error', onError);
	let broken = false;
	let locked = false;
	try {
		locked = await lockTarget(client, relation, opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS);
		if (!locked) {
			const reason = `another push of ${relation} held the lock on analytics_db for longer than ${Math.round(
				(opts.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS) / 1000,
			)} s`;
			const run = await recordSkippedPush(ctx.warehouse, identity, reason);
			log(`push ${t.name}: skipped — ${reason}`);
			return { ...base, runId: Number(run.push_run_id), status: 'skipped', durationMs: Date.now() - started, message: reason };
		}
		const { run, abandoned } = await claimPushRun(ctx.warehouse, identity);
		const runId = Number(run.push_run_id);
		for (const id of abandoned) log(`push ${t.name}: run ${id} was left running by a worker that died; marked failed`);
		try {
			const counts = await runPush(ctx, client, t, opts);
			await finishPushRun(ctx.warehouse, runId, counts);
			const message =
				`${counts.inserted} inserted, ${counts.updated} updated, ${counts.deleted} deleted, ${counts.unchanged} unchanged` +
				(t.kAnonymity ? `, ${counts.suppressed} suppressed below k=${t.kAnonymity.k} (${counts.suppressedRemoved} removed from the target)` : '');
			log(`push ${t.name} → ${relation}: ${message}`);
			return {
				target: t.name,
				targetRelation: relation,
				runId,
				status: 'pushed',
				mode: t.mode,
				created: counts.tableCreated,
				rowsStaged: counts.rowsStaged,
				inserted: counts.inserted,
				updated: counts.updated,
				unchanged: counts.unchanged,
				deleted: counts.deleted,
				suppressed: counts.suppressed,
				suppressedRemoved: counts.suppressedRemoved,
				durationMs: Date.now() - started,
				message,
			};
		} catch (err) {
			broken = true; // staging tables and a possibly half-read COPY: never hand this session back to the pool
			await failPushRun(ctx.warehouse, runId, err).catch(() => undefined);
			if (err instanceof PushSourceError || (err as Error).name === 'PiiBlockedError' || (err as Error).name === 'PushTargetError') throw err;
			throw new PushFailedError(t.name, runId, err);
		}
	} finally {
		if (locked && !broken) await unlockTarget(client, relation).catch(() => (broken = true));
		client.off('error', onError);
		client.release(broken);
	}
}

async function runPush(ctx: PushContext, client: pg.PoolClient, t: PushTarget, opts: PushOptions): Promise<PushCounts> {
	const src = await openWarehouseSource(ctx.warehouse, t.source);
	let srcOpen = true;
	try {
		const byName = new Map(src.columns.map((c) => [c.name, c]));
		const missingKey = t.key.filter((k) => !byName.has(k));
		if (missingKey.length) {
			throw new PushSourceError(
				`key column(s) ${missingKey.join(', ')} are not in the source ${src.description} (it has ${src.columns.map((c) => c.name).join(', ')})`,
			);
		}
		if (t.kAnonymity) {
			const g = byName.get(t.kAnonymity.groupSizeColumn);
			if (!g) throw new PushSourceError(`kAnonymity.groupSizeColumn ${t.kAnonymity.groupSizeColumn} is not in the source ${src.description}`);
			if (!NUMERIC_TYPES.test(g.type))
				throw new PushSourceError(`kAnonymity.groupSizeColumn ${g.name} must be a number (distinct users behind the row), but it is ${g.type}`);
		}
		const display = src.description === 'query' ? '(source query)' : src.description;
		await checkSourceForPii(src.client, src.relation, display, t.name, t.piiAllowColumns, opts.piiSampleRows);

		const columns: SyncColumn[] = src.columns.map((c) => ({ name: c.name, type: bronzeType(c) }));
		const suffix = randomBytes(4).toString('hex');
		const sql = buildSyncSql({ target: t.target, columns, key: t.key, stage: `pushback_stage_${suffix}`, suppressed: `pushback_suppressed_${suffix}` });
		const selects = buildSourceSelects(
			src.from,
			src.columns.map((c) => ({ name: c.name, castToText: c.userDefined })),
			t.key,
			t.kAnonymity,
		);

		await client.query(sql.createStage);
		await client.query(sql.createSuppressed);
		const rowsStaged = await copyAcross(src, selects.passing, client, sql.copyIntoStage);
		const suppressed = selects.suppressed ? await copyAcross(src, selects.suppressed, client, sql.copyIntoSuppressed) : 0;
		srcOpen = false;
		await src.close();

		if (rowsStaged === 0 && suppressed === 0 && t.mode === 'mirror' && !t.allowEmptySource) {
			const existing = await targetRowCount(client, t.target);
			if (existing > 0) {
				throw new PushSourceError(
					`source ${src.description} returned no rows; a mirror push would empty ${t.target.schema}.${t.target.table} (${existing} rows). Check that the mart was built, or set allowEmptySource if emptying it is intended`,
				);
			}
		}
		const nullKeys = await count(client, sql.nullKeys);
		if (nullKeys) throw new PushSourceError(`source ${src.description} has ${nullKeys} row(s) with a NULL in the key (${t.key.join(', ')})`);
		const dup = await count(client, sql.duplicateKeys);
		if (dup)
			throw new PushSourceError(
				`source ${src.description} has ${dup} key value(s) that occur more than once — the key (${t.key.join(', ')}) must identify one row`,
			);

		const outcome = await inTransaction(client, async () => {
			await lockTargetSchema(client, t.target.schema);
			await ensureAppRole(client, t.appRole);
			const tableCreated = await ensureTargetTable(client, t.target, columns, t.key);
			await grantAppRead(client, t.target, t.appRole);
			const suppressedRemoved = t.kAnonymity ? await affected(client, sql.deleteSuppressed) : 0;
			const deleted = t.mode === 'mirror' ? await affected(client, sql.deleteMissing) : 0;
			const updated = sql.updateChanged ? await affected(client, sql.updateChanged) : 0;
			const inserted = await affected(client, sql.insertNew);
			if (t.kAnonymity) {
				// What the app will read after COMMIT — including rows an upsert-mode push keeps from earlier runs.
				const report = await kAnonymityReport(client, t.target, t.key, t.kAnonymity.k, { countColumn: t.kAnonymity.groupSizeColumn });
				if (!report.satisfied) {
					throw new Error(
						`k-anonymity re-check failed on ${t.target.schema}.${t.target.table}: ${report.groupsBelowK} row(s) below k=${t.kAnonymity.k}; rolled back`,
					);
				}
			}
			return { tableCreated, rowsStaged, inserted, updated, unchanged: rowsStaged - inserted - updated, deleted, suppressed, suppressedRemoved };
		});
		await client.query(sql.dropStaging);
		return outcome;
	} finally {
		if (srcOpen) await src.close(true);
	}
}

/** COPY (select) TO STDOUT on the warehouse piped into COPY … FROM STDIN on analytics_db; returns rows copied. */
async function copyAcross(src: WarehouseSource, select: string, target: pg.PoolClient, copyIn: string): Promise<number> {
	const out = src.client.query(new CopyOutStream(`COPY (${select}) TO STDOUT`));
	const into = target.query(copyFrom(copyIn));
	await pipeline(out, into);
	return into.rowCount;
}

async function targetRowCount(client: pg.PoolClient, target: { schema: string; table: string }): Promise<number> {
	const { rows } = await client.query<{ rel: string | null }>('SELECT to_regclass($1)::text AS rel', [relationName(target.schema, target.table)]);
	if (!rows[0].rel) return 0;
	return count(client, `SELECT count(*)::int AS n FROM (SELECT 1 FROM ${relationName(target.schema, target.table)} LIMIT 1000000) t`);
}

async function count(client: pg.PoolClient, sql: string): Promise<number> {
	const { rows } = await client.query<{ n: number }>(sql);
	return Number(rows[0]?.n ?? 0);
}

async function affected(client: pg.PoolClient, sql: string): Promise<number> {
	const res = await client.query(sql);
	return res.rowCount ?? 0;
}
