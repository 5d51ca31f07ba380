import { escapeIdentifier as q, escapeLiteral } from 'pg';
import type { RegisteredTable } from '../config/registry.schema';

export const STAGE_TABLE = '_dwh_stage';

export interface MergeSql {
	/**
	 * Returns one row: inserted, updated (bigint text) and oldest (timestamptz text): the smallest watermark value
	 * among the rows it inserted or updated — their commit at the source is no earlier, which bounds how long they
	 * wait for analytics_db (docs/chain.md). NULL without a watermark column or when nothing changed.
	 */
	upsert: string;
	/** Snapshot only: deletes bronze rows whose key is absent from the CSV; returns deleted. */
	deleteMissing: string | null;
	/**
	 * Tables with a watermark: counts re-read rows (run before the merge) whose content differs from bronze under the
	 * SAME watermark value — the source changed a row without moving its stamp, so changes made after the lookback
	 * would never be extracted (and an append table keeps the first version). Returns n. $1 is the table's watermark
	 * before this load: only rows stamped at or below it can have been loaded before (the lookback overlap), so a
	 * large window costs probes for its overlap only.
	 */
	sameStampChanges: string | null;
}

/**
 * INSERT … ON CONFLICT from the de-duplicated stage into bronze.
 * - append: rows never change at the source, so a key seen before is left alone (re-loading a CSV is a no-op).
 * - upsert: the version read by the LATER run wins when it differs. A run's snapshot sees each row's current
 *   version, and a table's runs take their snapshots in run-id order (one run in flight per table, the snapshot taken
 *   after the claim), so a higher run id means a later, never older, state of the row — whatever its timestamp says.
 *   A transaction that stamped its rows before a newer one but committed after it (a late commit caught by the
 *   lookback) therefore still wins, and a CSV replayed after a newer run's (lower run id) never moves a row backwards.
 *   Comparing source timestamps instead kept the stale version for good in the late-commit case.
 * - replace: snapshot; changed rows are updated, vanished rows deleted, all in the load's transaction, so
 *   readers see the old snapshot or the new one and never an empty table.
 */
export function buildMergeSql(
	t: RegisteredTable,
	columns: string[],
	runId: string | number,
	/** Set when bronze's watermark column is `timestamp without time zone`: the zone its local times are in. */
	watermarkZone: string | null = null,
): MergeSql {
	const target = `raw.${q(t.table_name)}`;
	const cols = columns.map(q).join(', ');
	const keys = t.key_columns.map(q).join(', ');
	const order = t.watermark_column ? `${keys}, ${q(t.watermark_column)} DESC NULLS LAST` : keys;
	const deduped = `SELECT DISTINCT ON (${keys}) ${cols} FROM ${STAGE_TABLE} ORDER BY ${order}`;
	const nonKey = columns.filter((c) => !t.key_columns.includes(c));
	const setList = [...nonKey.map((c) => `${q(c)} = EXCLUDED.${q(c)}`), '_dwh_run_id = EXCLUDED._dwh_run_id', '_dwh_loaded_at = now()'].join(', ');
	const insert = `INSERT INTO ${target} AS b (${cols}, _dwh_run_id) SELECT ${cols}, ${Number(runId)} FROM (${deduped}) s`;

	// Text comparison: json, xml and point have no equality operator. Unchanged rows are left alone (no write, no
	// new run id), so the lookback overlap costs a comparison, not a rewrite.
	const differs = (left: string, right: string) =>
		nonKey.length
			? `(${nonKey.map((c) => `${left}.${q(c)}::text`).join(', ')}) IS DISTINCT FROM (${nonKey.map((c) => `${right}.${q(c)}::text`).join(', ')})`
			: 'false';
	const changed = differs('b', 'EXCLUDED');
	let conflict: string;
	if (t.load_strategy === 'append' || !nonKey.length) {
		conflict = `ON CONFLICT (${keys}) DO NOTHING`;
	} else if (t.load_strategy === 'upsert') {
		conflict = `ON CONFLICT (${keys}) DO UPDATE SET ${setList} WHERE EXCLUDED._dwh_run_id > b._dwh_run_id AND ${changed}`;
	} else {
		conflict = `ON CONFLICT (${keys}) DO UPDATE SET ${setList} WHERE ${changed}`;
	}
	const wmOut = t.watermark_column && columns.includes(t.watermark_column) ? `b.${q(t.watermark_column)}` : null;
	const stamp = !wmOut ? 'NULL::timestamptz' : watermarkZone ? `(${wmOut} AT TIME ZONE ${escapeLiteral(watermarkZone)})` : `${wmOut}::timestamptz`;
	const upsert = `WITH m AS (${insert} ${conflict} RETURNING (xmax = 0) AS inserted, ${stamp} AS stamp)
		SELECT count(*) FILTER (WHERE inserted)::bigint AS inserted, count(*) FILTER (WHERE NOT inserted)::bigint AS updated,
		       min(stamp)::text AS oldest FROM m`;

	const deleteMissing =
		t.load_strategy === 'replace'
			? `WITH d AS (DELETE FROM ${target} b WHERE NOT EXISTS (SELECT 1 FROM ${STAGE_TABLE} s WHERE ${t.key_columns
					.map((k) => `s.${q(k)} = b.${q(k)}`)
					.join(' AND ')}) RETURNING 1) SELECT count(*)::bigint AS deleted FROM d`
			: null;
	const wm = t.watermark_column && columns.includes(t.watermark_column) ? q(t.watermark_column) : null;
	const sameStampChanges =
		wm && nonKey.length
			? `SELECT count(*)::bigint AS n FROM (${deduped}) s JOIN ${target} b ON ${t.key_columns.map((k) => `b.${q(k)} = s.${q(k)}`).join(' AND ')}
		 WHERE s.${wm} <= ${watermarkZone ? `($1::timestamptz AT TIME ZONE ${escapeLiteral(watermarkZone)})` : '$1::timestamptz'}
		   AND b.${wm} = s.${wm} AND ${differs('b', 's')}`
			: null;
	return { upsert, deleteMissing, sameStampChanges };
}
