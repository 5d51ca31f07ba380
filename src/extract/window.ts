import type pg from 'pg';

/**
 * Bounds read on the source BEFORE the extract snapshot is taken.
 *
 * Why before: a transaction that commits between "snapshot taken" and "pg_stat_activity read" is neither visible
 * to the snapshot nor listed as in flight, so a bound read after the snapshot can let its rows slip behind the
 * watermark. Read first, every transaction whose rows could fall at or below `upper` has either committed (and is
 * visible to the snapshot taken afterwards) or is still running and holds `upper` below its own start time.
 * That relies on the watermark column being stamped no earlier than its transaction's start — true for
 * `DEFAULT now()`, `now()` in triggers and clock_timestamp(); for application-supplied clocks, safety_lag covers skew.
 *
 * Prepared (two-phase) transactions have left their session, so pg_stat_activity no longer lists them, and Postgres
 * keeps only the time they were prepared, not the time they started (their rows' stamps can be far older). While one
 * is pending in the source database the window does not advance past the current watermark: every earlier run held
 * its upper below that transaction's start (it was then running in a session, or not started), so its rows, once
 * committed, fall into a later window. pg_prepared_xacts is readable without pg_read_all_stats, also on a standby.
 */
export interface PreSnapshotBounds {
	/** clock_timestamp() - safety_lag */
	clockBound: string;
	/** Oldest start of any other open transaction in this database, minus 1µs; null when none. */
	inFlightBound: string | null;
	/** pg_last_xact_replay_timestamp() - safety_lag on a hot standby; null on a primary. */
	replayBound: string | null;
	inRecovery: boolean;
	/** False when the role cannot see other sessions' xact_start (needs pg_read_all_stats). */
	canSeeAllSessions: boolean;
	/** Prepared transactions pending in this database, and when the oldest was prepared. */
	preparedTransactions: number;
	oldestPreparedAt: string | null;
}

export async function readPreSnapshotBounds(client: pg.PoolClient, safetyLag: string, ownApplicationName: string): Promise<PreSnapshotBounds> {
	const { rows } = await client.query<PreSnapshotBounds>(
		`SELECT (clock_timestamp() - $1::interval)::text AS "clockBound",
		        (SELECT min(xact_start) - interval '1 microsecond'
		           FROM pg_stat_activity
		          WHERE datname = current_database()
		            AND pid <> pg_backend_pid()
		            AND backend_type = 'client backend'
		            AND xact_start IS NOT NULL
		            -- other extract sessions only read (READ ONLY transactions): they can never write rows
		            AND coalesce(application_name, '') <> $2)::text AS "inFlightBound",
		        CASE WHEN pg_is_in_recovery() THEN (pg_last_xact_replay_timestamp() - $1::interval)::text END AS "replayBound",
		        pg_is_in_recovery() AS "inRecovery",
		        (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
		          OR pg_has_role(current_user, 'pg_read_all_stats', 'USAGE') AS "canSeeAllSessions",
		        p.prepared AS "preparedTransactions", p.oldest_prepared AS "oldestPreparedAt"
		   FROM (SELECT count(*)::int AS prepared, min(prepared)::text AS oldest_prepared
		           FROM pg_prepared_xacts WHERE database = current_database()) p`,
		[safetyLag, ownApplicationName],
	);
	return rows[0];
}

export interface WindowUpper {
	upper: string;
	cappedBy: 'safety_lag' | 'in_flight_transaction' | 'replay_lag' | 'prepared_transaction';
}

/**
 * The smallest bound wins; compared in SQL so no precision is lost in JS. `watermark` is the table's current one:
 * the bound while a prepared transaction is pending.
 */
export async function chooseUpper(client: pg.PoolClient, b: PreSnapshotBounds, watermark: string): Promise<WindowUpper> {
	const { rows } = await client.query<{ upper: string; capped_by: WindowUpper['cappedBy'] }>(
		`SELECT bound::text AS upper, name AS capped_by
		   FROM (VALUES ($1::timestamptz, 'safety_lag'), ($2::timestamptz, 'in_flight_transaction'), ($3::timestamptz, 'replay_lag'),
		                ($4::timestamptz, 'prepared_transaction')) v(bound, name)
		  WHERE bound IS NOT NULL
		  ORDER BY bound ASC, name
		  LIMIT 1`,
		[b.clockBound, b.inFlightBound, b.replayBound, b.preparedTransactions > 0 ? watermark : null],
	);
	return { upper: rows[0].upper, cappedBy: rows[0].capped_by };
}
