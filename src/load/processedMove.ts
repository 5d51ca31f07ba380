import type pg from 'pg';
import { markCsvMoved } from '../control/runs';
import type { ObjectStore } from '../transport/objectStore';
import { safeErrorText } from '../privacy/safeErrorText';

/**
 * Moves a loaded run's CSV from exports/ to processed/ and records it. Runs only after the load committed
 * (manual §4 D step 8). A crash between commit and move leaves `csv_moved_at` NULL; `movePendingCsvs` finishes it.
 */
export async function moveLoadedCsv(
	db: pg.Pool | pg.PoolClient,
	store: ObjectStore,
	runId: string | number,
	csvPath: string,
	bytes: number | null,
): Promise<string> {
	const key = keyOf(store, csvPath);
	const processedKey = store.processedKeyFor(key);
	await store.move(key, processedKey, bytes);
	const processedPath = store.uri(processedKey);
	await markCsvMoved(db, runId, processedPath);
	return processedPath;
}

export function keyOf(store: ObjectStore, csvPath: string): string {
	const prefix = `s3://${store.cfg.bucket}/`;
	return csvPath.startsWith(prefix) ? csvPath.slice(prefix.length) : csvPath;
}

/** Finishes moves that a crash interrupted. Returns messages for moves that still failed (they are retried later). */
export async function movePendingCsvs(db: pg.Pool | pg.PoolClient, store: ObjectStore, table: string): Promise<string[]> {
	const { rows } = await db.query<{ run_id: string; csv_path: string; csv_bytes: string | null }>(
		`SELECT run_id, csv_path, csv_bytes FROM dwh_control.extract_runs
		  WHERE table_name = $1 AND status = 'loaded' AND csv_moved_at IS NULL AND csv_path IS NOT NULL
		  ORDER BY run_id`,
		[table],
	);
	const problems: string[] = [];
	for (const r of rows) {
		try {
			await moveLoadedCsv(db, store, r.run_id, r.csv_path, r.csv_bytes === null ? null : Number(r.csv_bytes));
		} catch (err) {
			problems.push(`run ${r.run_id}: moving ${r.csv_path} to processed/ failed: ${safeErrorText(err)}`);
		}
	}
	return problems;
}
