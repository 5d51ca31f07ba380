import pg from 'pg';
import { outputColumns, type PolicyTable } from './policy.schema';

const q = pg.escapeIdentifier;

/**
 * Raw retention (src/control/expireRaw.ts) deletes old rows of append tables from raw once they are published, so a
 * full rebuild reads less than the published table holds. Expiry is not deletion: the published rows whose key the
 * rebuild did not produce are carried into the new table. Only for append tables that retention has trimmed (an
 * event never leaves raw otherwise, short of Forget Users, which deletes it from intermediate too).
 *
 * A carried row cannot be re-derived: when the policy or a salt changed since the build that made it, its hash
 * columns (other than the key) are set to NULL rather than left in the old form, which would not join with the
 * re-keyed rows. A key that is hashed with a changed salt cannot be matched at all: the build stops and says so.
 */
export interface CarryOptions {
	schema: string;
	published: string;
	build: string;
	/** Key columns as published (kept or hashed). */
	keys: string[];
	/** The new build's output columns. */
	columns: string[];
	table: PolicyTable;
	/** The policy file or a salt version differs from the last published build's. */
	rekeyed: boolean;
	bronzeTable: string;
}

export class ExpiredHistoryError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ExpiredHistoryError';
	}
}

export async function carryExpiredRows(client: pg.ClientBase, o: CarryOptions): Promise<number> {
	const { rows } = await client.query<{ trimmed: boolean; published: boolean }>(
		`SELECT EXISTS (SELECT 1 FROM dwh_control.retention_runs WHERE table_name = $1 AND rows_removed > 0) AS trimmed,
		        to_regclass($2) IS NOT NULL AS published`,
		[o.bronzeTable, `${q(o.schema)}.${q(o.published)}`],
	);
	if (!rows[0].trimmed || !rows[0].published) return 0;
	const hashed = new Set(Object.entries(o.table.columns).flatMap(([c, s]) => (s.strategy === 'hash' ? outputColumns(c, s) : [])));
	if (o.rekeyed) {
		const hashedKey = o.keys.find((k) => hashed.has(k));
		if (hashedKey) {
			throw new ExpiredHistoryError(
				`${o.schema}.${o.published}: raw.${o.bronzeTable} has rows removed by retention, and the key column ${hashedKey} is hashed with a policy or salt that changed since the last build — the expired rows could not be matched to the rebuilt ones. Keep the key column as is in the policy (keys are not personal in an event table), then run again; the previous table is still published.`,
			);
		}
	}
	const { rows: have } = await client.query<{ name: string }>(
		`SELECT a.attname AS name FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
		[`${q(o.schema)}.${q(o.published)}`],
	);
	const present = new Set(have.map((r) => r.name));
	const cols = o.columns.filter((c) => present.has(c));
	const value = (c: string) => (o.rekeyed && hashed.has(c) && !o.keys.includes(c) ? 'NULL' : `p.${q(c)}`);
	const res = await client.query(
		`INSERT INTO ${q(o.schema)}.${q(o.build)} (${cols.map(q).join(', ')})
		 SELECT ${cols.map(value).join(', ')} FROM ${q(o.schema)}.${q(o.published)} p
		  WHERE NOT EXISTS (SELECT 1 FROM ${q(o.schema)}.${q(o.build)} b WHERE ${o.keys.map((k) => `b.${q(k)} = p.${q(k)}`).join(' AND ')})`,
	);
	return res.rowCount ?? 0;
}
