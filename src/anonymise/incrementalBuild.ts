import pg from 'pg';
import { outputColumns, type PolicyTable } from './policy.schema';

const q = pg.escapeIdentifier;

/**
 * Incremental set-mode builds: only bronze rows loaded since the last published build (`_dwh_run_id` above the
 * watermark that build recorded) are anonymised, and they replace their keys' rows in the published table. The
 * result must equal a full rebuild, so every condition under which it could differ forces a full rebuild instead,
 * and the run says which (`build_note`):
 *  - the policy file, a salt version or the as-of date (age bands) changed since the last build;
 *  - the table is a snapshot / replace table (rows vanish from bronze; only a rebuild drops them);
 *  - a registry key column is neither kept nor hashed (the published rows could not be matched by it), or the
 *    published table has no unique index on the key (tables built before this existed get one on their next full
 *    build).
 * Bronze rows are only ever inserted or updated by loads, each stamped with its run's id, and the loads of one table
 * are serialised, so "run id above the watermark" is "changed since" — except for a CSV replayed by hand after newer
 * runs were loaded: its rows carry the old run's id. Each build therefore also records how many loaded runs lie at or
 * below its watermark; when that number has grown, the next build is a full one. Rows deleted by Forget Users are
 * deleted from the published table by the same request (it takes the same per-table lock as the builds).
 */
export interface IncrementalPlan {
	/** Bronze rows with a larger _dwh_run_id are the increment. */
	since: string;
	/** Key columns as the published table names them. */
	keys: string[];
}

export interface LastBuild {
	policySha256: string | null;
	saltVersions: Record<string, number>;
	asOf: string;
	inputWatermark: string | null;
	inputLoadedRuns: string | null;
}

/** What a build sees of its input before it reads it: the highest load in bronze, and how many loads reached it. */
export interface InputState {
	watermark: string | null;
	/** Loaded extract runs of the table with run_id <= watermark. */
	loadedRuns: string;
}

export async function readInputState(
	client: pg.ClientBase,
	input: { schema: string; table: string },
	bronzeTable: string,
	hasRunId: boolean,
): Promise<InputState> {
	if (!hasRunId) return { watermark: null, loadedRuns: '0' };
	const { rows } = await client.query<{ m: string | null }>(`SELECT max(_dwh_run_id)::text AS m FROM ${q(input.schema)}.${q(input.table)}`);
	const watermark = rows[0].m;
	return { watermark, loadedRuns: await loadedRunsUpTo(client, bronzeTable, watermark ?? '0') };
}

/** Loaded extract runs of the table with run_id <= watermark; it only grows when an older run is loaded late. */
async function loadedRunsUpTo(client: pg.ClientBase, bronzeTable: string, watermark: string): Promise<string> {
	const { rows } = await client.query<{ n: string }>(
		`SELECT count(*)::text AS n FROM dwh_control.extract_runs WHERE table_name = $1 AND status = 'loaded' AND run_id <= $2::bigint`,
		[bronzeTable, watermark],
	);
	return rows[0].n;
}

/** The registry's key, renamed as the policy publishes it; a reason when a key column is not kept unchanged. */
export function publishedKey(table: PolicyTable, keyColumns: string[]): { keys: string[] } | { reason: string } {
	const keys: string[] = [];
	for (const k of keyColumns) {
		const spec = table.columns[k];
		// Kept, or hashed: with the same salt version (a condition of every increment) a hash matches the same key.
		if (!spec || (spec.strategy !== 'keep' && spec.strategy !== 'hash')) return { reason: `key column ${k} is neither kept nor hashed by the policy` };
		keys.push(outputColumns(k, spec)[0]);
	}
	return keys.length ? { keys } : { reason: 'the registry lists no key columns' };
}

export interface RegistryEntry {
	keyColumns: string[];
	/** Snapshot / replace tables: rows leave bronze. */
	replaces: boolean;
	/** Append (event) tables: rows leave bronze only by retention (expiredHistory.ts). */
	appends: boolean;
}

export async function registryKey(client: pg.ClientBase, bronzeTable: string): Promise<RegistryEntry | null> {
	const { rows } = await client.query<{ key_columns: string[]; mode: string; load_strategy: string }>(
		'SELECT key_columns, mode, load_strategy FROM dwh_control.source_tables WHERE table_name = $1',
		[bronzeTable],
	);
	return rows.length
		? {
				keyColumns: rows[0].key_columns,
				replaces: rows[0].mode === 'snapshot' || rows[0].load_strategy === 'replace',
				appends: rows[0].load_strategy === 'append',
		  }
		: null;
}

export async function lastBuild(client: pg.ClientBase, outputRelation: string): Promise<LastBuild | null> {
	const { rows } = await client.query<LastBuild>(
		`SELECT policy_sha256 AS "policySha256", salt_versions AS "saltVersions", as_of_date::text AS "asOf",
		        input_watermark::text AS "inputWatermark", input_loaded_runs::text AS "inputLoadedRuns"
		   FROM dwh_control.anonymise_runs
		  WHERE output_relation = $1 AND status = 'published' AND mode IN ('set', 'rotation', 'incremental')
		  ORDER BY run_started_at DESC, run_id DESC LIMIT 1`,
		[outputRelation],
	);
	return rows[0] ?? null;
}

/** Whether the published table has a unique index on exactly these columns (any order). */
export async function hasUniqueKey(client: pg.ClientBase, schema: string, table: string, keys: string[]): Promise<boolean> {
	const { rows } = await client.query<{ ok: boolean }>(
		`SELECT EXISTS (
		   SELECT 1 FROM pg_index i
		     JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		    WHERE n.nspname = $1 AND c.relname = $2 AND i.indisunique AND i.indpred IS NULL AND i.indexprs IS NULL
		      AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum = ANY (i.indkey))
		          = (SELECT array_agg(k ORDER BY k) FROM unnest($3::text[]) k)) AS ok`,
		[schema, table, keys],
	);
	return rows[0].ok;
}

const sameVersions = (a: Record<string, number>, b: Record<string, number>) =>
	Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => Number(b[k]) === Number(v));

/** The increment to build, or why this build must be a full one. */
export async function planIncremental(
	client: pg.ClientBase,
	p: {
		bronzeTable: string;
		inputHasRunId: boolean;
		/** The table's registry entry, and its key as published (both looked up once per build by the caller). */
		registry: RegistryEntry | null;
		key: { keys: string[] } | { reason: string } | null;
		output: { schema: string; table: string };
		policySha256: string | null;
		saltVersions: Record<string, number>;
		asOf: string;
	},
): Promise<{ plan: IncrementalPlan } | { reason: string }> {
	if (!p.inputHasRunId) return { reason: 'the input has no _dwh_run_id column' };
	if (!p.registry || !p.key) return { reason: `${p.bronzeTable} is not in dwh_control.source_tables` };
	if (p.registry.replaces) return { reason: 'snapshot / replace table: rows that left bronze must leave the published table too' };
	const key = p.key;
	if ('reason' in key) return key;
	const last = await lastBuild(client, `${p.output.schema}.${p.output.table}`);
	if (!last) return { reason: 'no published build yet' };
	if (last.inputWatermark === null || last.inputLoadedRuns === null) return { reason: 'the last build recorded no watermark' };
	if (BigInt(await loadedRunsUpTo(client, p.bronzeTable, last.inputWatermark)) > BigInt(last.inputLoadedRuns)) {
		return {
			reason: `a run older than the last build's watermark (${last.inputWatermark}) was loaded since (a replayed CSV): its rows are below the watermark`,
		};
	}
	if (last.policySha256 !== p.policySha256) return { reason: 'the policy changed since the last build' };
	if (!sameVersions(last.saltVersions, p.saltVersions)) return { reason: 'a salt version changed since the last build' };
	if (last.asOf !== p.asOf) return { reason: `the as-of date changed (${last.asOf} → ${p.asOf}; age bands move with it)` };
	if (!(await hasUniqueKey(client, p.output.schema, p.output.table, key.keys)))
		return { reason: `the published table has no unique index on (${key.keys.join(', ')})` };
	return { plan: { since: last.inputWatermark, keys: key.keys } };
}

/**
 * Replaces the increment's keys in the published table with the increment (already PII-checked). Returns the rows
 * replaced (updates) — the rest of the increment are new keys.
 */
export async function mergeIncrement(
	client: pg.ClientBase,
	published: { schema: string; table: string },
	increment: { schema: string; table: string },
	keys: string[],
	columns: string[],
): Promise<number> {
	const target = `${q(published.schema)}.${q(published.table)}`;
	const inc = `${q(increment.schema)}.${q(increment.table)}`;
	const removed = await client.query(`DELETE FROM ${target} t USING ${inc} d WHERE ${keys.map((k) => `t.${q(k)} = d.${q(k)}`).join(' AND ')}`);
	const cols = columns.map(q).join(', ');
	await client.query(`INSERT INTO ${target} (${cols}) SELECT ${cols} FROM ${inc}`);
	return removed.rowCount ?? 0;
}
