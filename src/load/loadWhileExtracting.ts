import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { failRun, getRun, markUploaded } from '../control/runs';
import { CsvDigest } from '../extract/csvDigest';
import { copyOutSql } from '../extract/csvExport';
import type { CsvExporter, ExportJob, ExportOutcome } from '../extract/csvExporter';
import { safeErrorText } from '../privacy/safeErrorText';
import { CopyOutStream } from '../transport/copyOutStream';
import { Tee } from '../transport/teeStream';
import { checkCsvMatches, copyInSql, mergeLoadedCsv, prepareLoadTarget, startLoading } from './loadBronze';
import { begin, openSavepoint, rollbackQuietly } from '../transport/transaction';

/** Bytes buffered between the COPY and the uploader; the uploader's own part buffers (15 MiB) come on top. */
const UPLOAD_PIPE_BYTES = 256 * 1024;
const SAVEPOINT = 'dwh_overlapped_load';

/** An overlapped load that failed in the warehouse; its CSV was kept in exports/ (the run is 'failed' with it) for replay. */
export class OverlappedLoadError extends Error {
	constructor(message: string, readonly keptCsvPath: string | null) {
		super(message);
		this.name = 'OverlappedLoadError';
	}
}

/**
 * Extract and load in one pass (issue 13 item 2). The source's `COPY … TO STDOUT` feeds, through one sha256/byte
 * counter, both the multipart upload and `COPY … FROM STDIN` into the warehouse (bronze itself for a back-fill into
 * an empty table, else the stage), with back-pressure from the slower of the two. The load transaction, opened on
 * the session that holds the table's lock, then merges, advances the watermark and marks the run 'loaded'. What
 * makes it as safe as the two-step path:
 *
 * - The CSV is written straight to its final place, `processed/<table>/…csv` (no copy after the load), and the object
 *   comes into existence (CompleteMultipartUpload, or the single PutObject) only after the merge and the run's
 *   bookkeeping ran, immediately before COMMIT; the COMMIT follows only once the store confirmed the object with the
 *   byte count the COPY wrote. So the CSV is in the store before COMMIT, and processed/ holds no CSV of an
 *   uncommitted load except in the instant between the two.
 * - The key is recorded on the run before anything is written; a run that dies before COMMIT stays 'extracting', and
 *   the next extract of the table fails it as abandoned, removes that CSV from processed/, and re-reads the window
 *   (the watermark never moved). Nothing is lost or loaded twice.
 * - Row counts of both COPYs must agree before the merge; the sha256 is recorded for replays.
 * - A failure in the warehouse (a refused COPY, a failed merge) rolls the load back but lets the upload finish; the
 *   CSV is moved to exports/ and the run is failed with it, exactly as a failed Blob Load Bronze leaves it, so it can be
 *   replayed by the separate load path.
 */
export const loadWhileExtracting: CsvExporter = {
	keyFor: (ctx, table, fileName) => ctx.store.processedKeyFor(ctx.store.exportKey(table, fileName)),
	recordKeyEarly: true,
	run: runOverlapped,
};

/** How far a run got, for the clean-up after a failure. */
interface Progress {
	/** The object exists in processed/ (the upload completed). */
	objectCreated: boolean;
	/** COMMIT was sent: if it failed with the session gone, the load may have committed after all. */
	commitSent: boolean;
}

async function runOverlapped(job: ExportJob): Promise<ExportOutcome> {
	const wh = job.lockClient;
	if (!job.inTransaction) await begin(wh);
	const progress: Progress = { objectCreated: false, commitSent: false };
	try {
		return await streamAndLoad(job, progress);
	} catch (err) {
		// Whatever was not committed goes (after keepForReplay's COMMIT this is a no-op).
		await rollbackQuietly(wh);
		// The CSV of a load that surely did not commit leaves processed/. When the session died during COMMIT the
		// outcome is unknown: the object stays, and the next extract removes it if the run is still 'extracting'.
		const maybeCommitted =
			progress.commitSent &&
			!(await wh.query('SELECT 1').then(
				() => true,
				() => false,
			));
		if (progress.objectCreated && !maybeCommitted) await job.ctx.store.delete(job.key).catch(() => undefined);
		throw err;
	}
}

async function streamAndLoad(job: ExportJob, progress: Progress): Promise<ExportOutcome> {
	const { ctx, lockClient: wh, source, table: t, run, key, record } = job;
	const store = ctx.store;
	const processedPath = store.uri(key);
	// A new bronze table's DDL stays even if the load fails (it commits with the failed run, as in the two-step path).
	const savepoint = await openSavepoint(wh, SAVEPOINT);
	// The session waits inside this transaction while the last parts upload; a server-wide timeout must not end it.
	await wh.query('SET LOCAL idle_in_transaction_session_timeout = 0');

	let loadError: unknown = null;
	let load: Omit<NonNullable<ExportOutcome['load']>, 'table' | 'runId' | 'status' | 'processedPath'> | null = null;
	const target = await prepareLoadTarget(wh, t, run.run_id, record.columns);
	const copyOut = source.query(new CopyOutStream(copyOutSql(job.selectSql)));
	const copyIn = wh.query(copyFrom(copyInSql(target)));
	const toUpload = new PassThrough({ highWaterMark: UPLOAD_PIPE_BYTES });
	const digest = new CsvDigest();
	// The warehouse side may fail (a refused row, a repeated key in a back-fill): the upload carries on, so the CSV
	// can be kept for replay. The source or the upload failing stops everything.
	const tee = new Tee([{ stream: toUpload }, { stream: copyIn, detachOnError: () => true }]);
	const streamed = pipeline(copyOut, digest, tee);
	streamed.catch(() => undefined); // awaited below; a rejection before then must not count as unhandled

	const uploaded = store.upload(key, toUpload, {
		// Every byte is on the server, the object does not exist yet: load, then let it appear, then COMMIT.
		beforeComplete: async () => {
			await streamed;
			await source.query('COMMIT');
			try {
				const copyInError = tee.sinkErrors[1];
				if (copyInError) throw copyInError;
				checkCsvMatches(copyIn.rowCount, '', copyOut.rowCount, null);
				await markUploaded(wh, run.run_id, { ...record, rows: copyOut.rowCount, csvPath: processedPath, bytes: digest.bytes, sha256: digest.hex() });
				await startLoading(wh, run, ctx.executionId);
				const loading = await getRun(wh, Number(run.run_id), true);
				load = await mergeLoadedCsv(wh, t, loading!, target, copyIn.rowCount, processedPath);
			} catch (err) {
				loadError = err;
				// Undo the load now, before the object exists: if the warehouse is gone this throws, the upload is aborted
				// and no CSV is left anywhere (the run stays 'extracting' until the next extract abandons it).
				await savepoint.rollback();
			}
		},
	});
	uploaded.catch((err: Error) => tee.destroy(err));
	const [streamOutcome, uploadOutcome] = await Promise.allSettled([streamed, uploaded]);
	// The upload's error first: a COPY torn down because the upload failed only reports the teardown.
	if (uploadOutcome.status === 'rejected') throw uploadOutcome.reason;
	progress.objectCreated = true;
	if (streamOutcome.status === 'rejected') throw streamOutcome.reason;
	const bytes = uploadOutcome.value.bytes;
	if (bytes !== digest.bytes) throw new Error(`uploaded ${bytes} bytes of ${processedPath} but the COPY wrote ${digest.bytes}`);
	if (loadError) return keepForReplay(job, loadError, { rows: copyOut.rowCount, bytes: digest.bytes, sha256: digest.hex() });
	const stored = await store.size(key);
	if (stored !== digest.bytes) {
		throw new Error(`the object store holds ${stored ?? 'no'} bytes at ${processedPath}, but the COPY wrote ${digest.bytes}`);
	}
	progress.commitSent = true;
	await wh.query('COMMIT');
	const rows = copyOut.rowCount;
	return {
		status: 'loaded',
		csvPath: processedPath,
		rows,
		bytes: digest.bytes,
		sha256: digest.hex(),
		load: { table: t.table_name, runId: Number(run.run_id), status: 'loaded', processedPath, ...load! },
	};
}

/**
 * The warehouse refused the load (already undone); the upload went through. A new table's DDL stays; move the CSV to
 * exports/ (a copy, on this failure path only), and fail the run with it: Blob Load Bronze can replay it.
 */
async function keepForReplay(job: ExportJob, loadError: unknown, csv: { rows: number; bytes: number; sha256: string }): Promise<never> {
	const { ctx, lockClient: wh, run, key, record } = job;
	const reason = safeErrorText(loadError);
	const exportKey = ctx.store.exportKey(job.table.table_name, key.slice(key.lastIndexOf('/') + 1));
	try {
		await ctx.store.move(key, exportKey, csv.bytes);
	} catch (err) {
		await ctx.store.delete(key).catch(() => undefined);
		throw new OverlappedLoadError(
			`loading while extracting failed and its CSV could not be kept for replay (${safeErrorText(err)}; the next run re-reads the window): ${reason}`,
			null,
		);
	}
	const csvPath = ctx.store.uri(exportKey);
	await markUploaded(wh, run.run_id, { ...record, ...csv, csvPath });
	await failRun(wh, run.run_id, loadError, ['uploaded']);
	await wh.query('COMMIT');
	throw new OverlappedLoadError(`loading while extracting failed and was rolled back (the CSV is kept at ${csvPath} for replay): ${reason}`, csvPath);
}
