import { escapeIdentifier as q, escapeLiteral } from 'pg';
import type pg from 'pg';
import type { RegisteredTable } from '../config/registry.schema';
import { isTimestampType, type SourceColumn } from './sourceColumns';

/** The table's watermark column as the window predicate needs it. */
export interface WatermarkColumn {
	name: string;
	/** Set for `timestamp without time zone`: the zone its stored local times are in (registry watermark_time_zone). */
	zone: string | null;
	/** Said in the run's message. */
	note: string | null;
}

/**
 * Checks the watermark column against the registry before any row is read. A `timestamp without time zone` column
 * holds the writers' local time; read in another zone, rows written by sessions behind it look hours old and fall
 * below the watermark for good. So such a column needs watermark_time_zone, and a zone that turns its clocks back
 * (daylight saving) needs a lookback covering the repeated hour, whose rows otherwise land below the watermark.
 */
export async function resolveWatermarkColumn(source: pg.PoolClient, t: RegisteredTable, columns: SourceColumn[]): Promise<WatermarkColumn> {
	const name = t.watermark_column!;
	const col = columns.find((c) => c.name === name);
	if (!col || !isTimestampType(col.type)) {
		throw new Error(
			`Watermark column ${name} of ${t.table_name} must be a timestamp/timestamptz column in the source (found ${col?.type ?? 'no such column'})`,
		);
	}
	if (col.type.endsWith('with time zone')) {
		const note = t.watermark_time_zone ? `watermark_time_zone ${t.watermark_time_zone} is ignored: ${name} is timestamptz` : null;
		return { name, zone: null, note };
	}
	const zone = t.watermark_time_zone;
	if (!zone) {
		throw new Error(
			`Watermark column ${name} of ${t.table_name} is timestamp without time zone: its values are the local time of the sessions that write it. ` +
				`Set watermark_time_zone in the registry entry to their time zone (e.g. "UTC", "Africa/Johannesburg") and run npm run dwh:registry-sync`,
		);
	}
	const { rows } = await source.query<{ shift: string | null; covered: boolean }>(
		`WITH o AS (SELECT (d AT TIME ZONE $1) - (d AT TIME ZONE 'UTC') AS off
		              FROM unnest(ARRAY[date_trunc('year', now()) + interval '14 days 12 hours',
		                                date_trunc('year', now()) + interval '6 months 14 days 12 hours']) d)
		 SELECT nullif(max(off) - min(off), interval '0')::text AS shift, $2::interval >= max(off) - min(off) AS covered FROM o`,
		[zone, t.lookback],
	);
	if (!rows[0].covered) {
		throw new Error(
			`watermark_time_zone ${zone} of ${t.table_name} turns its clocks back by ${rows[0].shift} once a year, and rows written in the repeated hour would fall below the watermark: ` +
				`set lookback to at least ${rows[0].shift} in the registry entry, or store the column as timestamptz`,
		);
	}
	return { name, zone, note: null };
}

/**
 * `(lower, upper]` on the column. The bounds are timestamptz; for a zoned `timestamp` column they are turned into its
 * local time (so an index on the column still serves). A lower bound of '-infinity' (nothing read yet, or a full
 * reseed) opens the window below: every row up to `upper`, including rows stamped '-infinity'.
 */
export function windowPredicate(col: WatermarkColumn, lower: string, upper: string): string {
	const bound = (b: string) => (col.zone ? `(${escapeLiteral(b)}::timestamptz AT TIME ZONE ${escapeLiteral(col.zone)})` : `${escapeLiteral(b)}::timestamptz`);
	const lowerBound = lower === '-infinity' ? '' : `${q(col.name)} > ${bound(lower)} AND `;
	return `${lowerBound}${q(col.name)} <= ${bound(upper)}`;
}

/**
 * Rows no window can ever reach: the column is NULL or 'infinity'. Counted in the extract's snapshot so the run log
 * and v_pipeline_alerts say how many are missing instead of dropping them silently. One index probe when the column
 * is indexed (the window's range scan needs that index anyway); a NOT NULL column leaves only the 'infinity' probe.
 */
export async function countRowsWithoutWatermark(source: pg.PoolClient, from: string, col: WatermarkColumn): Promise<number> {
	const { rows } = await source.query<{ n: string }>(`SELECT count(*) AS n FROM ${from} WHERE ${q(col.name)} IS NULL OR ${q(col.name)} = 'infinity'`);
	return Number(rows[0].n);
}
