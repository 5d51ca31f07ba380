import type pg from 'pg';
import { SQL_IDENTIFIER } from '../config/identifiers';
import { safeErrorText } from '../privacy/safeErrorText';
import { ARCHIVE_AREAS, archiveAreaPrefix, type ArchiveArea } from '../transport/archiveLifecycle';
import type { ObjectStore, StoredObject } from '../transport/objectStore';
import { finishRetentionRun, startRetentionRun } from './retentionRunLog';
import { lockTable, unlockTable } from './tableLock';

/**
 * The archive sweep (issue 12 item 2): deletes CSVs under <prefix>/exports/ and <prefix>/processed/ last modified
 * over `days` ago — what a lifecycle rule does on MinIO/S3, for servers without lifecycle support (s3rver), and as a
 * backstop where rules exist (a server's lifecycle scanner runs when it likes). Only those two areas of the
 * credential's prefix are listed, so nothing else in the bucket is touched. Each table folder is swept under the
 * table's pipeline lock (tableLock.ts), the one extracts and loads hold, so a CSV is never deleted while a load reads
 * it or moves it to processed/; a table busy past lockWaitMs is left for the next run. One
 * dwh_control.retention_runs row per area and table folder (layer 'exports' / 'processed').
 */
export interface SweepArchiveOptions {
	days: number;
	/** The clock the age is measured against (default now). */
	now?: Date;
	lockWaitMs?: number;
	executionId?: string;
}

export interface SweepArchiveResult {
	area: ArchiveArea;
	/** The table folder (registry name), or '(top level)' for objects directly under the area. */
	table: string;
	retentionDays: number;
	cutoff: string;
	status: 'completed' | 'skipped' | 'failed';
	objectsRemoved: number;
	bytesRemoved: number;
	objectsKept: number;
	message: string | null;
}

const TOP_LEVEL = '(top level)';

export async function sweepArchive(pool: pg.Pool, store: ObjectStore, opts: SweepArchiveOptions): Promise<SweepArchiveResult[]> {
	if (!Number.isInteger(opts.days) || opts.days < 1) throw new Error(`archive retention must be a whole number of days ≥ 1, got ${opts.days}`);
	const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.days * 86_400_000);
	const results: SweepArchiveResult[] = [];
	for (const area of ARCHIVE_AREAS) {
		const root = archiveAreaPrefix(store, area);
		const byTable = new Map<string, StoredObject[]>();
		for (const o of await store.listObjects(root)) {
			const rest = o.key.slice(root.length);
			const table = rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : TOP_LEVEL;
			byTable.set(table, [...(byTable.get(table) ?? []), o]);
		}
		for (const [table, objects] of [...byTable].sort(([a], [b]) => a.localeCompare(b))) {
			results.push(await sweepFolder(pool, store, area, table, objects, cutoff, opts));
		}
	}
	return results;
}

async function sweepFolder(
	pool: pg.Pool,
	store: ObjectStore,
	area: ArchiveArea,
	table: string,
	objects: StoredObject[],
	cutoff: Date,
	opts: SweepArchiveOptions,
): Promise<SweepArchiveResult> {
	const run = await startRetentionRun(pool, { table, layer: area, retentionDays: opts.days, cutoff: cutoff.toISOString(), executionId: opts.executionId });
	const expired = objects.filter((o) => o.lastModified < cutoff);
	const result: SweepArchiveResult = {
		area,
		table,
		retentionDays: opts.days,
		cutoff: cutoff.toISOString(),
		status: 'completed',
		objectsRemoved: 0,
		bytesRemoved: 0,
		objectsKept: objects.length - expired.length,
		message: null,
	};
	// A folder that is no registry table name has no load to wait for.
	const lockable = SQL_IDENTIFIER.test(table);
	const client = expired.length && lockable ? await pool.connect() : null;
	let locked = false;
	try {
		if (client) {
			locked = await lockTable(client, table, opts.lockWaitMs ?? 30_000);
			if (!locked) {
				result.status = 'skipped';
				result.objectsKept = objects.length;
				result.message = `an extract or load of the table held its lock; ${expired.length} expired object(s) are left for the next run`;
			}
		}
		if (!client || locked) {
			for (const o of expired) {
				await store.delete(o.key);
				result.objectsRemoved += 1;
				result.bytesRemoved += o.size;
			}
		}
	} catch (err) {
		result.status = 'failed';
		result.objectsKept = objects.length - result.objectsRemoved;
		result.message = safeErrorText(err);
	} finally {
		if (locked) await unlockTable(client!, table).catch(() => undefined);
		client?.release();
	}
	await finishRetentionRun(pool, run.id, result);
	return result;
}
