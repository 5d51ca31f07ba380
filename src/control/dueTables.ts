import type pg from 'pg';

/**
 * Tables whose cadence has elapsed since their last real attempt (skipped runs don't count: they did no work).
 * A 30-second grace absorbs scheduler jitter, so a 5-minute table triggered every 5 minutes is not skipped
 * every other tick.
 */
export async function listDueTables(db: pg.Pool | pg.PoolClient, opts: { sourceDbs?: string[] } = {}): Promise<string[]> {
	const { rows } = await db.query<{ table_name: string }>(
		`SELECT s.table_name
		   FROM dwh_control.source_tables s
		   LEFT JOIN LATERAL (
		        SELECT max(run_started_at) AS last_attempt
		          FROM dwh_control.extract_runs r
		         WHERE r.table_name = s.table_name AND r.status <> 'skipped') r ON true
		  WHERE s.enabled
		    AND ($1::text[] IS NULL OR s.source_db = ANY($1::text[]))
		    AND (r.last_attempt IS NULL OR r.last_attempt <= now() - s.cadence + interval '30 seconds')
		  ORDER BY s.table_name`,
		[opts.sourceDbs && opts.sourceDbs.length ? opts.sourceDbs : null],
	);
	return rows.map((r) => r.table_name);
}
