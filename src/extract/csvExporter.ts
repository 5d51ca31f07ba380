import type pg from 'pg';
import type { RegisteredTable } from '../config/registry.schema';
import type { LoadResult } from '../config/run.schema';
import { markUploaded, type RunRow, type UploadedRun } from '../control/runs';
import type { PipelineContext } from '../pipeline/context';
import { exportCsv } from './csvExport';

/** One claimed run, its snapshot open on `source`, ready to be written out. */
export interface ExportJob {
	ctx: PipelineContext;
	/** The warehouse session that holds the table's lock. */
	lockClient: pg.PoolClient;
	/** Inside the REPEATABLE READ READ ONLY snapshot; the exporter COMMITs it once the COPY is done. */
	source: pg.PoolClient;
	table: RegisteredTable;
	run: RunRow;
	selectSql: string;
	/** Object key of the CSV (from `CsvExporter.keyFor`). */
	key: string;
	/** The lock session is inside the transaction that created bronze (a new table); the exporter COMMITs it. */
	inTransaction: boolean;
	/** What the run records besides the CSV's own figures. */
	record: Omit<UploadedRun, 'rows' | 'csvPath' | 'bytes' | 'sha256'>;
}

export interface ExportOutcome {
	status: 'uploaded' | 'loaded';
	csvPath: string;
	rows: number;
	bytes: number;
	sha256: string;
	/** Set when the exporter loaded the CSV too (the overlapped load). */
	load?: LoadResult;
}

/**
 * How an extract writes its CSV. On success both sessions are out of their transactions (committed); on failure the
 * exporter has rolled back whatever it opened on the lock session, and the caller fails the run.
 */
export interface CsvExporter {
	keyFor(ctx: PipelineContext, table: string, fileName: string): string;
	/** Record the key on the run before writing (the overlapped load writes to processed/: a crash must be traceable). */
	recordKeyEarly: boolean;
	run(job: ExportJob): Promise<ExportOutcome>;
}

/**
 * The default: the CSV goes to exports/ and the run waits, 'uploaded', for Blob Load Bronze (manual §4 D/E).
 */
export const uploadForLoad: CsvExporter = {
	keyFor: (ctx, table, fileName) => ctx.store.exportKey(table, fileName),
	recordKeyEarly: false,
	async run({ ctx, lockClient, source, run, selectSql, key, inTransaction, record }) {
		const csv = await exportCsv(source, selectSql, ctx.store, key);
		await source.query('COMMIT');
		const csvPath = ctx.store.uri(key);
		await markUploaded(lockClient, run.run_id, { ...record, rows: csv.rows, csvPath, bytes: csv.bytes, sha256: csv.sha256 });
		if (inTransaction) await lockClient.query('COMMIT');
		return { status: 'uploaded', csvPath, ...csv };
	},
};
