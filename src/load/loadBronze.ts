import { pipeline } from 'node:stream/promises';
import { escapeIdentifier as q } from 'pg';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { RegisteredTable } from '../config/registry.schema';
import { loadRequestSchema, type LoadRequest, type LoadResult } from '../config/run.schema';
import { getRegisteredTable } from '../control/registry';
import { failRun, getRun, markLoaded, markLoading, REPAIR_RUN_MODE, type RunRow } from '../control/runs';
import { withTableLock } from '../control/tableLock';
import { LOAD_RUN_ID_SETTING, RUN_ID_DEFAULT } from '../extract/bronzeSchema';
import { CsvDigest } from '../extract/csvDigest';
import type { PipelineContext } from '../pipeline/context';
import { safeErrorText } from '../privacy/safeErrorText';
import { buildMergeSql, STAGE_TABLE } from './mergeSql';
import { moveLoadedCsv, movePendingCsvs } from './processedMove';
import { inTransaction, openSavepoint, withSavepoint, type Savepoint } from '../transport/transaction';

/** How long a load waits for an extract of the same table to finish before giving up. */
const LOCK_WAIT_MS = 120_000;

export class LoadError extends Error {
	constructor(
		message: string,
		readonly runId: number | null,
		/** What the user should do about it. */
		readonly hint: string,
	) {
		super(message);
		this.name = 'LoadError';
	}
}

function baseResult(table: string, runId: number): LoadResult {
	return {
		table,
		runId,
		status: 'loaded',
		rowsInCsv: 0,
		rowsInserted: 0,
		rowsUpdated: 0,
		rowsUnchanged: 0,
		rowsDeleted: 0,
		watermark: null,
		processedPath: null,
		message: '',
	};
}

/**
 * Loads one extract run's CSV into raw.<table> (manual §4 D): COPY into a stage, de-duplicate by key, merge,
 * advance the watermark (never backwards) and mark the run loaded — one transaction. Only after COMMIT is the CSV
 * moved to processed/. Any failure rolls back, fails the run with the error, and leaves the CSV in exports/.
 */
export async function loadBronze(ctx: PipelineContext, input: LoadRequest): Promise<LoadResult> {
	const req = loadRequestSchema.parse(input);
	const t = await getRegisteredTable(ctx.warehouse, req.table);
	const key = ctx.store.parseCsvPath(t.table_name, req.csvPath);
	const csvUri = ctx.store.uri(key);

	return withTableLock(
		ctx.warehouse,
		t.table_name,
		LOCK_WAIT_MS,
		() => {
			throw new LoadError(
				`${t.table_name} is busy: another execution held it for ${LOCK_WAIT_MS / 1000}s`,
				req.runId,
				'Retry the load once the other execution has finished.',
			);
		},
		async (client, session) => {
			const pendingMoveProblems = await movePendingCsvs(client, ctx.store, t.table_name);

			const run = await getRun(client, req.runId);
			checkRunMatches(run, t, req, csvUri, ctx.store.uri(ctx.store.processedKeyFor(key)));
			const result = baseResult(t.table_name, req.runId);
			if (run!.status === 'loaded') {
				const problems = await movePendingCsvs(client, ctx.store, t.table_name);
				const after = await getRun(client, req.runId);
				return {
					...result,
					status: 'already_loaded',
					rowsInCsv: Number(run!.rows_extracted ?? 0),
					processedPath: after?.processed_path ?? null,
					watermark: await currentWatermark(client, t.table_name),
					message: [`run ${req.runId} was already loaded; nothing changed`, ...problems].join('; '),
				};
			}
			await refuseStaleSnapshotReplay(client, t, run!);

			await startLoading(client, run!, req.executionId ?? ctx.executionId);
			try {
				Object.assign(result, await loadInTransaction(ctx, client, t, run!, key));
			} catch (err) {
				const message = safeErrorText(err);
				try {
					await failRun(client, run!.run_id, err, ['loading']);
				} catch {
					session.broken = true;
				}
				throw new LoadError(
					`Loading run ${req.runId} of ${t.table_name} failed and was rolled back: ${message}`,
					req.runId,
					`The CSV stays at ${csvUri}. Fix the cause, then replay this run with the dwh-load-bronze workflow, or let the next extract re-read the window.`,
				);
			}

			const messages = [...(result.message ? [result.message] : []), ...pendingMoveProblems];
			try {
				result.processedPath = await moveLoadedCsv(client, ctx.store, run!.run_id, run!.csv_path!, run!.csv_bytes === null ? null : Number(run!.csv_bytes));
			} catch (err) {
				messages.push(`loaded, but moving the CSV to processed/ failed (retried by the next load): ${safeErrorText(err)}`);
			}
			result.message = messages.join('; ');
			ctx.log?.(`${t.table_name}: run ${req.runId} loaded ${result.rowsInserted} new, ${result.rowsUpdated} updated, ${result.rowsUnchanged} unchanged`);
			return result;
		},
		(err) => !(err instanceof LoadError) && !isPgError(err),
	);
}

function isPgError(err: unknown): boolean {
	return typeof (err as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((err as { code: string }).code);
}

function checkRunMatches(run: RunRow | null, t: RegisteredTable, req: LoadRequest, csvUri: string, processedUri: string): void {
	if (!run) throw new LoadError(`Run ${req.runId} does not exist in dwh_control.extract_runs`, req.runId, 'Use the runId output by WatermarkExtract.');
	if (run.table_name !== t.table_name) {
		throw new LoadError(
			`Run ${req.runId} belongs to ${run.table_name}, not ${t.table_name}`,
			req.runId,
			'Pass the table and runId from the same extract item.',
		);
	}
	// A run loaded while it was extracted wrote its CSV straight to processed/; its exports/ name still identifies it.
	const loadedInPlace = run.status === 'loaded' && run.csv_path === processedUri;
	if (run.csv_path !== csvUri && !loadedInPlace) {
		throw new LoadError(
			`csvPath ${csvUri} is not the CSV of run ${req.runId} (${run.csv_path ?? 'none yet'})`,
			req.runId,
			'Pass the csvPath from the same extract item.',
		);
	}
	if (run.status === 'extracting' || run.status === 'skipped') {
		throw new LoadError(
			`Run ${req.runId} is '${run.status}', so there is no finished CSV to load`,
			req.runId,
			'Load runs in status uploaded (or failed, to retry).',
		);
	}
	if (run.status === 'loading') {
		throw new LoadError(`Run ${req.runId} is being loaded by another execution`, req.runId, 'Wait for it; check dwh_control.extract_runs.');
	}
}

/** Replaying an old snapshot would put a past state back; newer snapshots already replaced it. */
async function refuseStaleSnapshotReplay(client: pg.PoolClient, t: RegisteredTable, run: RunRow): Promise<void> {
	if (t.load_strategy !== 'replace' || run.status !== 'failed') return;
	const { rows } = await client.query(`SELECT run_id FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'loaded' AND run_id > $2 LIMIT 1`, [
		t.table_name,
		run.run_id,
	]);
	if (rows.length) {
		throw new LoadError(
			`Run ${run.run_id} is an older snapshot of ${t.table_name} than the loaded run ${rows[0].run_id}`,
			Number(run.run_id),
			'Nothing to do: a newer snapshot is already in bronze.',
		);
	}
}

export async function startLoading(client: pg.PoolClient, run: RunRow, executionId: string | undefined): Promise<void> {
	try {
		if (!(await markLoading(client, run.run_id, executionId)))
			throw new LoadError(`Run ${run.run_id} changed status while starting the load`, Number(run.run_id), 'Retry the load.');
	} catch (err) {
		if ((err as { code?: string }).code === '23505') {
			throw new LoadError(
				`Run ${run.run_id} cannot be retried now: another run of ${run.table_name} is in flight`,
				Number(run.run_id),
				'Retry after that run is loaded or failed (see dwh_control.extract_runs).',
			);
		}
		throw err;
	}
}

export async function currentWatermark(db: pg.PoolClient, table: string): Promise<string | null> {
	const { rows } = await db.query<{ w: string }>(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [table]);
	return rows[0]?.w ?? null;
}

/** The registry's watermark_time_zone when bronze's watermark column is `timestamp without time zone`, else null. */
async function zonedWatermark(client: pg.PoolClient, t: RegisteredTable): Promise<string | null> {
	if (!t.watermark_column || !t.watermark_time_zone) return null;
	const { rows } = await client.query<{ type: string }>(
		`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2 AND NOT attisdropped`,
		[`raw.${q(t.table_name)}`, t.watermark_column],
	);
	return rows[0]?.type.endsWith('without time zone') ? t.watermark_time_zone : null;
}

async function bronzeIsEmpty(client: pg.PoolClient, table: string): Promise<boolean> {
	return (await client.query<{ empty: boolean }>(`SELECT NOT EXISTS (SELECT 1 FROM raw.${q(table)}) AS empty`)).rows[0].empty;
}

/**
 * Bronze tables get the run-id default their back-fill COPY needs (the migration baseline: folded once per statement; tables
 * created with the per-row default of older releases, or before any default existed) on their first back-fill. Bronze is empty then,
 * so the short ACCESS EXCLUSIVE lock this takes holds up nobody's reads of real data; it commits with the load.
 * When the default cannot be set (a table owned by another role, a column a DBA redefined) the back-fill takes
 * the stage + merge path instead of failing: returns whether the direct COPY can be used.
 */
async function ensureRunIdDefault(client: pg.PoolClient, table: string): Promise<boolean> {
	const { rows } = await client.query<{ def: string | null }>(
		`SELECT pg_get_expr(d.adbin, d.adrelid) AS def
		   FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		  WHERE a.attrelid = $1::regclass AND a.attname = '_dwh_run_id'`,
		[`raw.${q(table)}`],
	);
	if (rows[0]?.def?.endsWith(RUN_ID_DEFAULT)) return true;
	try {
		// The load login does not own bronze: the SECURITY DEFINER function (the migration baseline) sets exactly this default.
		await withSavepoint(client, 'dwh_run_id_default', () => client.query('SELECT dwh_control.set_bronze_run_id_default($1)', [table]));
		return true;
	} catch {
		return false;
	}
}

/** `COPY … FROM STDIN` of a run's CSV into `target` (bronze or the stage), columns in the run's order. */
export function copyInSql(target: LoadTarget): string {
	return `COPY ${target.relation} (${target.columns.map(q).join(', ')}) FROM STDIN WITH (FORMAT csv, HEADER ${target.header}, ENCODING 'UTF8')`;
}

/** Refuses a CSV whose row count or sha256 differs from what the extract recorded. */
export function checkCsvMatches(rows: number, sha256: string, expectedRows: number, expectedSha256: string | null): void {
	if (rows !== expectedRows) {
		throw new Error(`CSV has ${rows} rows but the extract recorded ${expectedRows}; refusing to load a partial or altered file`);
	}
	if (expectedSha256 && sha256 !== expectedSha256) {
		throw new Error(`CSV sha256 ${sha256} differs from the ${expectedSha256} recorded at extract; the object was changed after upload`);
	}
}

/**
 * Streams the run's CSV from the object store into `target` with COPY, hashing it on the way, and refuses it unless
 * its row count and sha256 match what the extract recorded. The caller's transaction makes the refusal a rollback.
 */
async function copyVerifiedCsv(ctx: PipelineContext, client: pg.PoolClient, run: RunRow, key: string, target: LoadTarget): Promise<number> {
	// Open the object BEFORE starting COPY: a GetObject that fails after COPY began would leave the connection in
	// COPY mode, where ROLLBACK never returns and the table lock is held for ever.
	const body = await ctx.store.download(key);
	const copy = client.query(copyFrom(copyInSql(target)));
	const digest = new CsvDigest();
	await pipeline(body, digest, copy);
	checkCsvMatches(copy.rowCount, digest.hex(), Number(run.rows_extracted), run.csv_sha256);
	return copy.rowCount;
}

/** Where a load COPYs the CSV: bronze itself (a back-fill into an empty table, under a savepoint) or the stage. */
export interface LoadTarget {
	relation: string;
	columns: string[];
	/** 'MATCH' (PG 15+: the header must name the run's columns) or 'true'. */
	header: string;
	/** Set for a back-fill: the savepoint its COPY into bronze can be undone to. */
	backfill: Savepoint | null;
}

/**
 * First steps of the load transaction (the caller has run BEGIN): settings, and the COPY target. Back-fill into an
 * empty bronze table: nothing can conflict, so the verified CSV is COPYed straight into bronze — one write instead of
 * stage + INSERT … SELECT, and COPY batches rows where INSERT goes one by one. The run id comes from the column
 * default (LOAD_RUN_ID_SETTING), _dwh_loaded_at from now() as in the merge. The primary key proves one row per key; a
 * key repeated in the CSV makes it refuse the COPY (23505), and `useStage` undoes it to the savepoint for the
 * de-duplicating merge. Row count and sha256 are checked before the transaction can commit, so a bad file is rolled
 * back as on the stage path. Loads of a table hold its lock, so nothing else fills bronze meanwhile.
 */
export async function prepareLoadTarget(client: pg.PoolClient, t: RegisteredTable, runId: string | number, columns: string[]): Promise<LoadTarget> {
	if (columns.length === 0) throw new Error(`run ${runId} has no column list`);
	// The de-duplication (count of distinct keys, DISTINCT ON) sorts or hashes the whole CSV; the default 4MB
	// sends a 1M-row back-fill to disk twice. Scoped to this transaction; incremental windows never need that much.
	await client.query(`SET LOCAL work_mem = '128MB'`);
	const version = Number((await client.query<{ v: string }>(`SELECT current_setting('server_version_num') AS v`)).rows[0].v);
	// HEADER MATCH (PG 15+) refuses a CSV whose header names other columns than the run recorded.
	const header = version >= 150000 ? 'MATCH' : 'true';
	if ((await bronzeIsEmpty(client, t.table_name)) && (await ensureRunIdDefault(client, t.table_name))) {
		await client.query(`SELECT set_config($1, $2, true)`, [LOAD_RUN_ID_SETTING, String(runId)]);
		return { relation: `raw.${q(t.table_name)}`, columns, header, backfill: await openSavepoint(client, 'dwh_backfill') };
	}
	return createStage(client, t, columns, header);
}

async function createStage(client: pg.PoolClient, t: RegisteredTable, columns: string[], header: string): Promise<LoadTarget> {
	await client.query(`CREATE TEMP TABLE ${STAGE_TABLE} ON COMMIT DROP AS SELECT ${columns.map(q).join(', ')} FROM raw.${q(t.table_name)} WITH NO DATA`);
	return { relation: STAGE_TABLE, columns, header, backfill: null };
}

/** After a back-fill COPY refused a repeated key: undo it and load through the stage instead. */
export async function useStage(client: pg.PoolClient, t: RegisteredTable, target: LoadTarget): Promise<LoadTarget> {
	await target.backfill?.rollback();
	return createStage(client, t, target.columns, target.header);
}

export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string } | null)?.code === '23505';

/**
 * Everything after the CSV is in `target`, inside the load transaction and without its COMMIT: de-duplicate and merge
 * (stage path), delete vanished rows (snapshots), advance the watermark (never backwards), mark the run 'loaded' —
 * with its processed/ path when the CSV was written there directly (the overlapped load).
 */
export async function mergeLoadedCsv(
	client: pg.PoolClient,
	t: RegisteredTable,
	run: RunRow,
	target: LoadTarget,
	rowsInCsv: number,
	processedPath: string | null = null,
): Promise<Omit<LoadResult, 'table' | 'runId' | 'status' | 'processedPath'>> {
	const columns = target.columns;
	const backfilled = target.backfill !== null;
	await target.backfill?.release();
	let inserted = backfilled ? rowsInCsv : 0;
	let updated = 0;
	let distinct = backfilled ? rowsInCsv : 0;
	const sql = buildMergeSql(t, columns, run.run_id, await zonedWatermark(client, t));
	let sameStamp = sql.sameStampChanges ? 0 : null;
	// The smallest watermark value among rows this load changed (a back-fill is history: left NULL).
	let oldestChanged: string | null = null;
	if (!backfilled) {
		// Only the key and watermark columns steer the merge's plans; sampling every column costs time for nothing.
		const statColumns = [...t.key_columns, ...(t.watermark_column && columns.includes(t.watermark_column) ? [t.watermark_column] : [])];
		await client.query(`ANALYZE ${STAGE_TABLE} (${statColumns.map(q).join(', ')})`);
		distinct = Number(
			(await client.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT DISTINCT ${t.key_columns.map(q).join(', ')} FROM ${STAGE_TABLE}) d`)).rows[0].n,
		);
		if (sql.sameStampChanges) {
			const before = await currentWatermark(client, t.table_name);
			sameStamp = Number((await client.query<{ n: string }>(sql.sameStampChanges, [before ?? '-infinity'])).rows[0].n);
		}
		const merged = (await client.query<{ inserted: string; updated: string; oldest: string | null }>(sql.upsert)).rows[0];
		inserted = Number(merged.inserted);
		updated = Number(merged.updated);
		oldestChanged = merged.oldest;
	}
	// A snapshot written into an empty table has nothing to delete; a repair run holds only the keys it re-read.
	const repair = run.mode === REPAIR_RUN_MODE;
	const deleted = sql.deleteMissing && !backfilled && !repair ? Number((await client.query<{ deleted: string }>(sql.deleteMissing)).rows[0].deleted) : 0;

	// A repair read keys, not a window: the watermark and the table's last-load bookkeeping stay as they are.
	const wm = repair
		? await client.query<{ w: string }>(`SELECT last_extracted_at::text AS w FROM dwh_control.extract_watermarks WHERE table_name = $1`, [t.table_name])
		: await client.query<{ w: string }>(
				`INSERT INTO dwh_control.extract_watermarks AS w (table_name, last_extracted_at, last_loaded_at, last_run_id, rows_loaded_last_run, updated_at)
			 VALUES ($1, coalesce($2::timestamptz, '-infinity'), now(), $3, $4, now())
			 ON CONFLICT (table_name) DO UPDATE SET
			   last_extracted_at = greatest(w.last_extracted_at, EXCLUDED.last_extracted_at),
			   last_loaded_at = now(), last_run_id = EXCLUDED.last_run_id,
			   rows_loaded_last_run = EXCLUDED.rows_loaded_last_run, updated_at = now()
			 RETURNING last_extracted_at::text AS w`,
				[t.table_name, run.window_upper, run.run_id, inserted + updated],
		  );
	await markLoaded(client, run.run_id, {
		inserted,
		updated,
		unchanged: distinct - inserted - updated,
		deleted,
		sameStamp,
		processedPath,
		oldestChangedStamp: oldestChanged,
	});
	return {
		rowsInCsv,
		rowsInserted: inserted,
		rowsUpdated: updated,
		rowsUnchanged: distinct - inserted - updated,
		rowsDeleted: deleted,
		watermark: wm.rows[0].w,
		message: sameStamp
			? `${sameStamp} re-read row(s) had changed without a newer ${t.watermark_column} (${
					t.load_strategy === 'append' ? 'append keeps the first version' : 'applied'
			  }); ` + `such changes made after the lookback are never extracted: stamp updates at the source, or widen lookback / use snapshot mode`
			: '',
	};
}

async function loadInTransaction(ctx: PipelineContext, client: pg.PoolClient, t: RegisteredTable, run: RunRow, key: string): Promise<Partial<LoadResult>> {
	return inTransaction(client, async () => {
		const locked = await getRun(client, Number(run.run_id), true);
		if (locked?.status !== 'loading') throw new Error(`run ${run.run_id} is '${locked?.status}', expected 'loading'`);
		let target = await prepareLoadTarget(client, t, run.run_id, run.columns ?? []);
		let rowsInCsv: number;
		try {
			rowsInCsv = await copyVerifiedCsv(ctx, client, run, key, target);
		} catch (err) {
			if (!target.backfill || !isUniqueViolation(err)) throw err;
			target = await useStage(client, t, target);
			rowsInCsv = await copyVerifiedCsv(ctx, client, run, key, target);
		}
		return mergeLoadedCsv(client, t, run, target, rowsInCsv);
	});
}
