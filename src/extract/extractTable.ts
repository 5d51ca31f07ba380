import { escapeIdentifier as q } from 'pg';
import type pg from 'pg';
import type { RegisteredTable } from '../config/registry.schema';
import type { ExtractResult } from '../config/run.schema';
import { getRegisteredTable } from '../control/registry';
import { abandonRun, claimRun, failRun, inFlightRun, recordCsvKey, recordSkippedRun, REPAIR_RUN_MODE, type RunRow } from '../control/runs';
import { keysInJson } from '../reconcile/keySql';
import { tryLockTable, unlockTable } from '../control/tableLock';
import type { PipelineContext } from '../pipeline/context';
import { bronzeTableExists, ensureBronzeTable } from './bronzeSchema';
import { uploadForLoad, type CsvExporter } from './csvExporter';
import { assertTimeZone, csvFileName } from './csvFileName';
import { readSourceColumns, vetSourceColumns } from './sourceColumns';
import { countRowsWithoutWatermark, resolveWatermarkColumn, windowPredicate } from './watermarkColumn';
import { chooseUpper, readPreSnapshotBounds } from './window';
import { safeErrorText } from '../privacy/safeErrorText';
import { begin, rollbackQuietly } from '../transport/transaction';

const REPAIR_KEYS_SETTING = 'dwh.repair_keys';

/** A table's result, 'failed' with nothing extracted unless `fields` say otherwise (extractDue reports a thrown table with it). */
export function extractResult(table: string, run: RunRow | null, fields: Partial<ExtractResult>): ExtractResult {
	return {
		table,
		runId: run ? Number(run.run_id) : null,
		status: 'failed',
		window: { lower: null, upper: null, upperCappedBy: null },
		rows: 0,
		csvPath: null,
		bytes: 0,
		sha256: null,
		message: '',
		...fields,
	};
}

/**
 * Frees the table's in-flight slot when its holder is gone. Called with the table lock held, so a run in
 * 'extracting' or 'loading' has no live worker. A run in 'uploaded' is waiting for its load; it only counts as
 * abandoned once it has waited longer than twice the cadence (and at least 15 minutes).
 */
async function releaseAbandonedRun(ctx: PipelineContext, lockClient: pg.PoolClient, t: RegisteredTable): Promise<RunRow | null> {
	const run = await inFlightRun(lockClient, t.table_name);
	if (!run) return null;
	if (run.status === 'extracting' || run.status === 'loading') {
		const removed = run.status === 'extracting' ? await removeUncommittedCsv(ctx, run) : '';
		await abandonRun(lockClient, run.run_id, `abandoned: the execution that was ${run.status} this run stopped without finishing${removed}`);
		return null;
	}
	const { rows } = await lockClient.query<{ stale: boolean }>(
		`SELECT coalesce(extracted_at, run_started_at) < now() - greatest($2::interval * 2, interval '15 minutes') AS stale
		   FROM dwh_control.extract_runs WHERE run_id = $1`,
		[run.run_id, t.cadence],
	);
	if (rows[0]?.stale) {
		await abandonRun(lockClient, run.run_id, 'abandoned: uploaded but never loaded; its window is re-extracted by the next run');
		return null;
	}
	return run;
}

/**
 * A run that died while 'extracting' never committed a load, so a CSV it wrote to processed/ (the overlapped load
 * writes there and records the key first) is not a loaded CSV: remove it, so processed/ keeps meaning "loaded".
 * Its window is re-read by the next run.
 */
async function removeUncommittedCsv(ctx: PipelineContext, run: RunRow): Promise<string> {
	if (!run.csv_path) return '';
	const prefix = ctx.store.uri('');
	const key = run.csv_path.startsWith(prefix) ? run.csv_path.slice(prefix.length) : null;
	if (!key || !key.startsWith(ctx.store.processedKeyFor(ctx.store.exportKey(run.table_name, '')))) return '';
	try {
		if ((await ctx.store.size(key)) === null) return '';
		await ctx.store.delete(key);
		return `; its never-loaded CSV ${run.csv_path} was removed from processed/`;
	} catch (err) {
		return `; removing its never-loaded CSV ${run.csv_path} failed: ${safeErrorText(err)}`;
	}
}

export interface ExtractOptions {
	/**
	 * Re-extract exactly these keys (text values in key_columns order) instead of the watermark window: a reconcile
	 * repair. The run is logged with mode 'repair' and its load leaves the watermark alone (src/reconcile/repair.ts).
	 */
	keys?: string[][];
	/** How the CSV is written: by default to exports/ for Blob Load Bronze; `loadWhileExtracting` loads it in the same go. */
	exporter?: CsvExporter;
}

export async function extractTable(ctx: PipelineContext, tableName: string, opts: ExtractOptions = {}): Promise<ExtractResult> {
	assertTimeZone(ctx.exportTimezone);
	const t = await getRegisteredTable(ctx.warehouse, tableName);
	if (!t.enabled) {
		return extractResult(t.table_name, null, { status: 'skipped', message: `${t.table_name} is disabled in the registry` });
	}

	const lockClient = await ctx.warehouse.connect();
	let lockClientBroken = false;
	let locked = false;
	let run: RunRow | null = null;
	try {
		locked = await tryLockTable(lockClient, t.table_name);
		if (!locked) {
			const reason = 'another execution is extracting or loading this table right now';
			const skipped = await recordSkippedRun(lockClient, t.table_name, t.mode, reason, ctx.executionId);
			return extractResult(t.table_name, skipped, { status: 'skipped', message: reason });
		}
		const waiting = await releaseAbandonedRun(ctx, lockClient, t);
		const runMode = opts.keys ? REPAIR_RUN_MODE : t.mode;
		if (!waiting) run = await claimRun(lockClient, t.table_name, runMode, ctx.executionId);
		if (!run) {
			const holder = waiting ?? (await inFlightRun(lockClient, t.table_name));
			const reason = holder
				? `run ${holder.run_id} (${holder.status}) has not been loaded yet; this table waits for it`
				: 'another execution claimed this table at the same moment';
			const skipped = await recordSkippedRun(lockClient, t.table_name, runMode, reason, ctx.executionId);
			return extractResult(t.table_name, skipped, { status: 'skipped', message: reason });
		}

		const claimed = run;
		const exporter = opts.exporter ?? uploadForLoad;
		const key = exporter.keyFor(ctx, t.table_name, csvFileName(new Date(claimed.run_started_at), ctx.exportTimezone, claimed.run_id));
		try {
			if (exporter.recordKeyEarly) {
				await recordCsvKey(lockClient, claimed.run_id, ctx.store.uri(key));
			}
			const outcome = await extractClaimedRun(ctx, lockClient, t, claimed, key, exporter, opts.keys);
			return extractResult(t.table_name, claimed, outcome);
		} catch (err) {
			try {
				await failRun(lockClient, claimed.run_id, err, ['extracting']);
			} catch {
				lockClientBroken = true; // warehouse unreachable: the run stays 'extracting' and is abandoned next time
			}
			// A CSV kept for replay after a failed overlapped load (its run is 'failed' with this path).
			const kept = (err as { keptCsvPath?: string } | null)?.keptCsvPath ?? null;
			return extractResult(t.table_name, claimed, { status: 'failed', csvPath: kept, message: safeErrorText(err) });
		}
	} catch (err) {
		lockClientBroken = true;
		throw err;
	} finally {
		if (locked && !lockClientBroken) await unlockTable(lockClient, t.table_name).catch(() => (lockClientBroken = true));
		lockClient.release(lockClientBroken);
	}
}

async function extractClaimedRun(
	ctx: PipelineContext,
	lockClient: pg.PoolClient,
	t: RegisteredTable,
	run: RunRow,
	key: string,
	exporter: CsvExporter,
	keys?: string[][],
): Promise<Partial<ExtractResult>> {
	const source = await ctx.sources.get(t.source_db).connect();
	let sourceBroken = true;
	let newTableTx = false;
	try {
		const appName = (await source.query<{ a: string }>("SELECT current_setting('application_name') AS a")).rows[0].a;
		const bounds = await readPreSnapshotBounds(source, t.safety_lag, appName);
		const notes: string[] = [];
		if (!bounds.canSeeAllSessions && !bounds.inRecovery) {
			notes.push(`source role cannot see other sessions' transactions (grant pg_read_all_stats); late commits rely on lookback ${t.lookback}`);
		}

		await begin(source, { isolation: 'REPEATABLE READ', readOnly: true });
		// The first statement fixes the snapshot; everything below reads the same consistent state.
		const columns = (await readSourceColumns(source, t.source_schema, t.source_table)).filter((c) => !t.excluded_columns.includes(c.name));
		if (columns.length === 0) {
			throw new Error(`Source table ${t.source_db}.${t.source_schema}.${t.source_table} not found (or it has no columns) — check the registry entry`);
		}
		// Checked before bronze is created or altered: a refused table leaves no trace.
		vetSourceColumns(`${t.source_db}.${t.source_schema}.${t.source_table}`, columns);
		const wmCol = t.mode === 'incremental' && !keys ? await resolveWatermarkColumn(source, t, columns) : null;
		if (wmCol?.note) notes.push(wmCol.note);
		// A new bronze table is created in a warehouse transaction that commits together with the run's 'uploaded'
		// mark (its CSV exists by then): a failed first extract rolls the DDL back and leaves no empty table. Only for
		// a new table — nobody reads it yet, so holding its lock through the export blocks no one; drift on an
		// existing table (ADD COLUMN) stays autocommit so readers of bronze never wait for an export.
		if (!(await bronzeTableExists(lockClient, t.table_name))) {
			await begin(lockClient);
			newTableTx = true;
			// The session idles in this transaction while the source streams; a server-wide timeout must not end it.
			await lockClient.query('SET LOCAL idle_in_transaction_session_timeout = 0');
		}
		const drift = await ensureBronzeTable(lockClient, t, columns);
		if (drift.addedColumns.length) notes.push(`bronze gained column(s) ${drift.addedColumns.join(', ')}`);
		if (drift.missingInSource.length) notes.push(`column(s) ${drift.missingInSource.join(', ')} gone from source; bronze keeps them (NULL for new rows)`);

		const selectList = columns.map((c) => q(c.name)).join(', ');
		const from = `${q(t.source_schema)}.${q(t.source_table)}`;
		let windowLower: string | null = null;
		let windowUpper: string | null;
		let cappedBy: string | null;
		let selectSql: string;
		let rowsWithoutWatermark: number | null = null;
		if (keys) {
			// The keys travel as one transaction-local setting (COPY takes no parameters), never inside the SQL text.
			await source.query(`SELECT set_config('${REPAIR_KEYS_SETTING}', $1, true)`, [JSON.stringify(keys)]);
			const keyCols = t.key_columns.map((k) => ({ name: k, type: columns.find((c) => c.name === k)!.type }));
			windowUpper = null;
			cappedBy = null;
			selectSql = `SELECT ${selectList} FROM ${from} WHERE ${keysInJson(keyCols, `current_setting('${REPAIR_KEYS_SETTING}')::json`)}`;
			notes.push(`repair: re-extracted ${keys.length} key(s) found by a reconcile`);
		} else if (wmCol) {
			rowsWithoutWatermark = await countRowsWithoutWatermark(source, from, wmCol);
			if (rowsWithoutWatermark > 0) {
				notes.push(
					`${rowsWithoutWatermark} source row(s) have ${wmCol.name} NULL or 'infinity' and are outside every window (not extracted): ` +
						`stamp them (NOT NULL DEFAULT now()) or register the table as a snapshot`,
				);
			}
			const { rows } = await lockClient.query<{ lower: string; watermark: string }>(
				`SELECT (last_extracted_at - $2::interval)::text AS lower, last_extracted_at::text AS watermark FROM dwh_control.extract_watermarks WHERE table_name = $1`,
				[t.table_name, t.lookback],
			);
			if (!rows[0]) throw new Error(`No watermark row for ${t.table_name} — run \`npm run dwh:registry-sync\``);
			windowLower = rows[0].lower;
			const upper = await chooseUpper(source, bounds, rows[0].watermark);
			if (upper.cappedBy === 'prepared_transaction') {
				notes.push(
					`${bounds.preparedTransactions} prepared transaction(s) pending in ${t.source_db} since ${bounds.oldestPreparedAt} hold the window at the watermark until COMMIT PREPARED / ROLLBACK PREPARED (pg_prepared_xacts)`,
				);
			}
			windowUpper = upper.upper;
			cappedBy = upper.cappedBy;
			selectSql = `SELECT ${selectList} FROM ${from} WHERE ${windowPredicate(wmCol, windowLower, windowUpper)}`;
		} else {
			windowUpper = bounds.clockBound;
			cappedBy = 'snapshot';
			selectSql = `SELECT ${selectList} FROM ${from}`;
		}

		const note = notes.length ? notes.join('; ') : null;
		const csv = await exporter.run({
			ctx,
			lockClient,
			source,
			table: t,
			run,
			selectSql,
			key,
			inTransaction: newTableTx,
			record: { windowLower, windowUpper, upperCappedBy: cappedBy, columns: columns.map((c) => c.name), note, rowsWithoutWatermark },
		});
		// The exporter committed both sessions.
		sourceBroken = false;
		newTableTx = false;
		const csvPath = csv.csvPath;
		ctx.log?.(`${t.table_name}: run ${run.run_id} extracted ${csv.rows} rows (${windowLower ?? '-'}, ${windowUpper}] to ${csvPath}`);
		return {
			status: csv.status,
			...(csv.load ? { load: csv.load } : {}),
			window: { lower: windowLower, upper: windowUpper, upperCappedBy: cappedBy },
			rows: csv.rows,
			csvPath,
			bytes: csv.bytes,
			sha256: csv.sha256,
			message: note ?? '',
		};
	} finally {
		// Before the caller fails the run on the same session: the new table goes, the run row stays 'extracting'.
		if (newTableTx) await rollbackQuietly(lockClient);
		if (sourceBroken) await rollbackQuietly(source);
		source.release(sourceBroken);
	}
}
