import pg from 'pg';
import { SQL_IDENTIFIER } from '../config/identifiers';
import { safeErrorText } from '../privacy/safeErrorText';
import { listRegisteredTables } from './registry';
import { finishRetentionRun, startRetentionRun } from './retentionRunLog';
import { lockTable, unlockTable } from './tableLock';

const q = pg.escapeIdentifier;

/**
 * Raw retention (design doc §8.1: raw.* is kept 90 days, then only the anonymised layers remain). For every
 * registered table with raw_retention_days (append tables; the registry decides), rows loaded before the cutoff are
 * deleted from raw.<table> in batches — but only rows an Anonymise build has already published (their _dwh_run_id is
 * at or below the newest published build's input watermark), so expiry never takes a row intermediate has not got.
 * Each batch holds the table's pipeline lock (tableLock.ts) like an extract or load does, and releases it between
 * batches so a load waits at most one batch. One dwh_control.retention_runs row per table per run.
 */
export interface ExpireRawOptions {
	/** Registry table names; default every table with a retention. */
	tables?: string[];
	batchSize?: number;
	/** How long each batch waits for a running extract/load of the table before the table is left for the next run. */
	lockWaitMs?: number;
	executionId?: string;
}

export interface ExpireRawResult {
	table: string;
	retentionDays: number;
	cutoff: string;
	status: 'completed' | 'skipped' | 'failed';
	rowsRemoved: number;
	batches: number;
	rowsKeptUnanonymised: number;
	message: string | null;
}

export const DEFAULT_EXPIRE_BATCH = 10_000;

export async function expireRawRows(pool: pg.Pool, opts: ExpireRawOptions = {}): Promise<ExpireRawResult[]> {
	const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_EXPIRE_BATCH));
	const registered = await listRegisteredTables(pool);
	if (opts.tables) {
		const unknown = opts.tables.filter((t) => !registered.some((r) => r.table_name === t));
		if (unknown.length)
			throw new Error(`Retention: ${unknown.join(', ')} not in dwh_control.source_tables — check the table names (registry names, e.g. tagme_db__check_ins)`);
	}
	const due = registered.filter((t) => t.raw_retention_days != null && (!opts.tables || opts.tables.includes(t.table_name)));
	const results: ExpireRawResult[] = [];
	for (const t of due) {
		if (!SQL_IDENTIFIER.test(t.table_name)) continue;
		results.push(await expireTable(pool, t.table_name, t.raw_retention_days!, batchSize, opts));
	}
	return results;
}

async function expireTable(pool: pg.Pool, table: string, days: number, batchSize: number, opts: ExpireRawOptions): Promise<ExpireRawResult> {
	const rel = `raw.${q(table)}`;
	const { id, cutoff } = await startRetentionRun(pool, { table, layer: 'raw', retentionDays: days, executionId: opts.executionId });
	const { rows: state } = await pool.query<{ exists: boolean; watermark: string | null }>(
		`SELECT to_regclass($1) IS NOT NULL AS exists,
		        (SELECT max(input_watermark)::text FROM dwh_control.anonymise_runs WHERE status = 'published' AND input_relation = $2) AS watermark`,
		[rel, `raw.${table}`],
	);
	const { exists, watermark } = state[0];
	const result: ExpireRawResult = {
		table,
		retentionDays: days,
		cutoff,
		status: 'completed',
		rowsRemoved: 0,
		batches: 0,
		rowsKeptUnanonymised: 0,
		message: null,
	};
	const client = await pool.connect();
	try {
		if (!exists) {
			result.status = 'skipped';
			result.message = `raw.${table} does not exist (never loaded)`;
		} else {
			// Nothing published yet: every row waits for its first Anonymise build.
			const anonymised = watermark ?? '-1';
			for (;;) {
				if (!(await lockTable(client, table, opts.lockWaitMs ?? 30_000))) {
					result.status = result.batches ? 'completed' : 'skipped';
					result.message = 'an extract or load of the table held its lock; the next run continues';
					break;
				}
				let n: number;
				try {
					const res = await client.query(
						`DELETE FROM ${rel} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${rel} WHERE _dwh_loaded_at < $1::timestamptz AND _dwh_run_id <= $2::bigint LIMIT $3))`,
						[cutoff, anonymised, batchSize],
					);
					n = res.rowCount ?? 0;
				} finally {
					await unlockTable(client, table);
				}
				if (n) {
					result.batches += 1;
					result.rowsRemoved += n;
				}
				if (n < batchSize) break;
			}
			const { rows } = await client.query<{ n: string }>(
				`SELECT count(*) AS n FROM ${rel} WHERE _dwh_loaded_at < $1::timestamptz AND _dwh_run_id > $2::bigint`,
				[cutoff, anonymised],
			);
			result.rowsKeptUnanonymised = Number(rows[0].n);
			if (result.rowsKeptUnanonymised) {
				result.message = `${result.message ? `${result.message}; ` : ''}${
					result.rowsKeptUnanonymised
				} expired rows are kept until an Anonymise build publishes them`;
			}
		}
	} catch (err) {
		result.status = 'failed';
		result.message = safeErrorText(err);
	} finally {
		client.release();
	}
	await finishRetentionRun(pool, id, result);
	return result;
}
