import pg from 'pg';
import { describeFindings, scanRelationForPii, type PiiFinding } from '../privacy/piiScan';
import { subjectHmacSql, vaultLookupHash } from './hashing';
import { suppressParameterLogging } from './logSafety';
import { inputRelation, outputTableName, saltTypesOf, subjectColumn, type Policy, type PolicyTable } from './policy.schema';
import { PolicyError, type LoadedPolicy } from './policyLoader';
import { resolveActiveSalts, saltVersionsJson } from './saltVersions';
import { failAnonymiseRun, finishAnonymiseRun, startAnonymiseRun, type AnonymiseRunStart } from './anonymiseRunLog';
import type { AnonymisationSecrets, ResolvedSalt } from './secrets.schema';
import { lastBuild, mergeIncrement, planIncremental, publishedKey, readInputState, registryKey } from './incrementalBuild';
import { carryExpiredRows } from './expiredHistory';
import { buildAnonymiseSelect, TOKEN_TABLE, type InputColumn } from './sqlBuilder';
import type { TokenVault } from './vault';
import { publishTable } from '../transport/publishTable';
import { withSavepoint, withTransaction } from '../transport/transaction';
import { advisoryXactLock, textKey } from '../transport/advisoryLock';

const q = pg.escapeIdentifier;
export const INTERMEDIATE_SCHEMA = 'intermediate';

export interface AnonymiseDeps {
	warehouse: pg.Pool;
	secrets: Pick<AnonymisationSecrets, 'salts' | 'hmacKey'>;
	/** Needed only when a policy tokenises. */
	vault?: TokenVault | null;
	executionId?: string;
	log?: (message: string) => void;
}

export interface AnonymiseRelationOptions {
	policy: LoadedPolicy;
	table: string;
	/** YYYY-MM-DD for age bands; defaults to today (UTC). */
	asOf?: string;
	/** Rows the PII check samples from the new table (policy pii_check.sample_rows, else 5000). */
	sampleRows?: number;
	/** Refuse to run when bound parameters could reach the server log (default true). */
	requireLogSafety?: boolean;
	/**
	 * 'incremental': anonymise only bronze rows loaded since the last build and merge them by key, falling back to a
	 * full rebuild (with the reason in buildNote) whenever the result could differ from one (incrementalBuild.ts).
	 */
	build?: 'full' | 'incremental';
}

export interface AnonymiseResult {
	runId: string;
	sourceDb: string;
	table: string;
	inputRelation: string;
	outputRelation: string;
	policyVersion: string;
	saltVersions: Record<string, number>;
	rowsIn: number;
	rowsOut: number;
	tokensIssued: number;
	columns: string[];
	/** How the published table was produced this time. */
	build: 'full' | 'incremental';
	/** Why an incremental build was a full one, when it was. */
	buildNote: string | null;
	/** Highest bronze _dwh_run_id the published table now includes. */
	inputWatermark: string | null;
}

/** The new table failed the PII check and was not published; the previous table is untouched. */
export class PiiCheckFailedError extends Error {
	constructor(readonly outputRelation: string, readonly findings: PiiFinding[], readonly runId: string) {
		super(
			`PII check failed for ${outputRelation} (run ${runId}); the new table was NOT published and the previous one is unchanged — ${describeFindings(
				findings,
			)}`,
		);
		this.name = 'PiiCheckFailedError';
	}
}

/**
 * The per-output transaction lock of builds and forgets, taken in sorted order so two transactions that need several
 * never deadlock. Re-entrant within a transaction.
 */
export async function lockOutputs(client: pg.ClientBase, outputs: string[]): Promise<void> {
	for (const out of [...new Set(outputs)].sort()) {
		await advisoryXactLock(client, textKey(`anonymise:${INTERMEDIATE_SCHEMA}.${out}`));
	}
}

export function todayUtc(): string {
	return new Date().toISOString().slice(0, 10);
}

export function policyTable(policy: Policy, table: string): PolicyTable {
	const t = policy.tables.find((x) => x.table === table);
	if (!t) throw new PolicyError(policy.source_db, [`table ${table} is not in the policy (it has ${policy.tables.map((x) => x.table).join(', ')})`]);
	return t;
}

export async function relationColumns(db: pg.Pool | pg.PoolClient, rel: { schema: string; table: string }): Promise<InputColumn[] | null> {
	const { rows } = await db.query<{ name: string; type: string }>(
		`SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped
		  ORDER BY a.attnum`,
		[rel.schema, rel.table],
	);
	return rows.length ? rows : null;
}

interface BuildContext {
	deps: AnonymiseDeps;
	loaded: LoadedPolicy;
	table: PolicyTable;
	runId: string;
	asOf: string;
	sampleRows?: number;
	/** Rotation: hash with these salts instead of the active ones. */
	saltOverride?: Map<string, ResolvedSalt>;
	build?: 'full' | 'incremental';
}

interface BuildOutcome {
	rowsIn: number;
	rowsOut: number;
	tokensIssued: number;
	columns: string[];
	salts: Map<string, ResolvedSalt>;
	build: 'full' | 'incremental';
	buildNote: string | null;
	inputWatermark: string | null;
	inputLoadedRuns: string;
}

/** Fills the session's token table from the vault for every tokenised column, in bounded batches. */
async function fillTokens(client: pg.PoolClient, ctx: BuildContext, tokenised: { column: string; kind: string }[], sinceRunId?: string): Promise<number> {
	if (!tokenised.length) return 0;
	const vault = ctx.deps.vault;
	if (!vault) {
		throw new Error(
			`Policy ${ctx.loaded.policy.source_db}, table ${ctx.table.table}: column ${tokenised[0].column} is tokenised, but no vault is configured — fill in the vault connection and Vault Encryption Key of the anonymisation-secrets credential`,
		);
	}
	await client.query(
		`CREATE TEMP TABLE IF NOT EXISTS _dwh_tokens (kind text, lookup_hash bytea, token bigint, PRIMARY KEY (kind, lookup_hash)) ON COMMIT DROP`,
	);
	const rel = inputRelation(ctx.loaded.policy.source_db, ctx.table);
	const subjectCol = subjectColumn(ctx.table);
	const subject = subjectCol ? `s.${q(subjectCol)}` : null;
	let issued = 0;
	for (const t of tokenised) {
		const col = `s.${q(t.column)}`;
		const forget = subject ? ` AND NOT EXISTS (SELECT 1 FROM dwh_control.rtbf_subjects f WHERE f.subject_hmac = ${subjectHmacSql(subject, '$1')})` : '';
		const subjectExpr = subject ? subjectHmacSql(subject, '$1') : 'NULL::text';
		// A table without a subject column (a merchant's settlements) binds no HMAC key: only what the SQL names.
		const params: unknown[] = subject ? [ctx.deps.secrets.hmacKey] : [];
		if (sinceRunId !== undefined) params.push(sinceRunId);
		const since = sinceRunId !== undefined ? ` AND s._dwh_run_id > $${params.length}::bigint` : '';
		await client.query(
			`DECLARE _dwh_tok NO SCROLL CURSOR FOR
			   SELECT DISTINCT (${col})::text AS v, ${subjectExpr} AS s FROM ${q(rel.schema)}.${q(rel.table)} s WHERE ${col} IS NOT NULL${forget}${since}`,
			params,
		);
		for (;;) {
			const { rows } = await client.query<{ v: string; s: string | null }>('FETCH 10000 FROM _dwh_tok');
			if (!rows.length) break;
			const r = await vault.tokenise(
				t.kind,
				rows.map((x) => ({ value: x.v, subject: x.s })),
				ctx.loaded.policy.source_db,
			);
			issued += r.issued;
			const hashes = [...r.tokens.keys()].map((v) => vaultLookupHash(ctx.deps.secrets.hmacKey, v));
			await client.query(
				`INSERT INTO ${TOKEN_TABLE} (kind, lookup_hash, token) SELECT $1, h, t FROM unnest($2::bytea[], $3::bigint[]) AS u(h, t) ON CONFLICT DO NOTHING`,
				[t.kind, hashes, [...r.tokens.values()]],
			);
		}
		await client.query('CLOSE _dwh_tok');
	}
	// Statistics for the build's join: without them the planner guesses the temp table's size.
	await client.query(`ANALYZE ${TOKEN_TABLE}`);
	return issued;
}

/**
 * Builds the new table, checks it and swaps it in — inside the caller's transaction, so nothing is visible until
 * COMMIT and a failure anywhere leaves the published table as it was.
 */
async function buildAndSwap(client: pg.PoolClient, ctx: BuildContext): Promise<BuildOutcome> {
	const { policy } = ctx.loaded;
	const rel = inputRelation(policy.source_db, ctx.table);
	const output = outputTableName(policy.source_db, ctx.table);
	const input = await relationColumns(client, rel);
	if (!input) throw new Error(`Input relation ${rel.schema}.${rel.table} does not exist — extract and load ${policy.source_db}.${ctx.table.table} first`);

	await lockOutputs(client, [output]);
	const types = saltTypesOf(ctx.table);
	const override = ctx.saltOverride ?? new Map<string, ResolvedSalt>();
	const salts = await resolveActiveSalts(
		client,
		ctx.deps.secrets.salts,
		types.filter((t) => !override.has(t)),
	);
	for (const t of types) if (override.has(t)) salts.set(t, override.get(t)!);

	// Read before the build reads its rows (each later statement sees at least as much): everything up to the
	// watermark is in this build, and a later load, or a replay of an older run, is seen by the next one.
	const inputHasRunId = input.some((c) => c.name === '_dwh_run_id');
	const bronzeTable = `${policy.source_db}__${ctx.table.table}`;
	const state = await readInputState(client, rel, bronzeTable, inputHasRunId);
	const registry = await registryKey(client, bronzeTable);
	const key = registry ? publishedKey(ctx.table, registry.keyColumns) : null;
	const inputWatermark = state.watermark;
	const sampleRows = ctx.sampleRows ?? ctx.table.pii_check.sample_rows;
	const piiCheck = async (table: string) => {
		const findings = (
			await scanRelationForPii(client, { schema: INTERMEDIATE_SCHEMA, table }, { sampleRows, allowColumns: ctx.table.pii_check.allow_columns })
		).map((f) => ({ ...f, table: `${INTERMEDIATE_SCHEMA}.${output}` }));
		if (findings.length) throw new PiiCheckFailedError(`${INTERMEDIATE_SCHEMA}.${output}`, findings, ctx.runId);
	};
	const comment = (how: string) =>
		client.query(
			`COMMENT ON TABLE ${q(INTERMEDIATE_SCHEMA)}.${q(output)} IS ${pg.escapeLiteral(
				`Anonymised from ${rel.schema}.${rel.table} by policy ${policy.source_db} v${policy.version}, ${how} run ${ctx.runId}`,
			)}`,
		);
	// intermediate is created by the migration baseline; CREATE SCHEMA IF NOT EXISTS would need CREATE on the database.

	let buildNote: string | null = null;
	if (ctx.build === 'incremental') {
		const decided = await planIncremental(client, {
			bronzeTable,
			inputHasRunId,
			registry,
			key,
			output: { schema: INTERMEDIATE_SCHEMA, table: output },
			policySha256: ctx.loaded.sha256,
			saltVersions: saltVersionsJson(salts),
			asOf: ctx.asOf,
		});
		if ('plan' in decided) {
			const { since, keys } = decided.plan;
			const built = buildAnonymiseSelect({
				policy,
				table: ctx.table,
				input,
				salts,
				hmacKey: ctx.deps.secrets.hmacKey,
				asOf: ctx.asOf,
				tokenTable: TOKEN_TABLE,
				sinceRunId: since,
			});
			const tokensIssued = await fillTokens(client, ctx, built.tokenised, since);
			const increment = `${output.slice(0, 40)}__incr_${ctx.runId}`;
			const created = await client.query(`CREATE TABLE ${q(INTERMEDIATE_SCHEMA)}.${q(increment)} AS ${built.select}`, built.params);
			const { rows: cnt } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(rel.schema)}.${q(rel.table)} WHERE _dwh_run_id > $1::bigint`, [
				since,
			]);
			await piiCheck(increment);
			const replaced = await mergeIncrement(
				client,
				{ schema: INTERMEDIATE_SCHEMA, table: output },
				{ schema: INTERMEDIATE_SCHEMA, table: increment },
				keys,
				built.outputColumns,
			);
			await client.query(`DROP TABLE ${q(INTERMEDIATE_SCHEMA)}.${q(increment)}`);
			await comment(`incremental (bronze runs ${since}..${inputWatermark ?? since}, ${replaced} rows replaced)`);
			return {
				rowsIn: Number(cnt[0].n),
				rowsOut: created.rowCount ?? 0,
				tokensIssued,
				columns: built.outputColumns,
				salts,
				build: 'incremental',
				buildNote: null,
				inputWatermark: inputWatermark ?? since,
				inputLoadedRuns: state.loadedRuns,
			};
		}
		buildNote = `full rebuild: ${decided.reason}`;
		ctx.deps.log?.(`anonymise: ${INTERMEDIATE_SCHEMA}.${output} — ${buildNote}`);
	}

	const built = buildAnonymiseSelect({ policy, table: ctx.table, input, salts, hmacKey: ctx.deps.secrets.hmacKey, asOf: ctx.asOf, tokenTable: TOKEN_TABLE });
	const tokensIssued = await fillTokens(client, ctx, built.tokenised);

	const build = `${output.slice(0, 40)}__build_${ctx.runId}`;
	const target = `${q(INTERMEDIATE_SCHEMA)}.${q(build)}`;
	const created = await client.query(`CREATE TABLE ${target} AS ${built.select}`, built.params);
	let carried = 0;
	if (registry?.appends && key && 'keys' in key) {
		const last = await lastBuild(client, `${INTERMEDIATE_SCHEMA}.${output}`);
		const rekeyed = !!last && (last.policySha256 !== ctx.loaded.sha256 || !sameSaltVersions(last.saltVersions, saltVersionsJson(salts)));
		carried = await carryExpiredRows(client, {
			schema: INTERMEDIATE_SCHEMA,
			published: output,
			build,
			keys: key.keys,
			columns: built.outputColumns,
			table: ctx.table,
			rekeyed,
			bronzeTable,
		});
		if (carried) buildNote = `${buildNote ? `${buildNote}; ` : ''}${carried} published rows kept whose raw rows expired (retention)`;
	}
	const { rows: cnt } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${q(rel.schema)}.${q(rel.table)}`);
	await client.query(`ANALYZE ${target}`);
	await piiCheck(build);
	const keyIndex = key && 'keys' in key ? await uniqueKeyIndex(client, build, key.keys) : null;

	const { recreated } = await publishTable(client, INTERMEDIATE_SCHEMA, build, output);
	if (recreated.length) ctx.deps.log?.(`anonymise: ${INTERMEDIATE_SCHEMA}.${output} — recreated the views that read it: ${recreated.join(', ')}`);
	if (keyIndex) await client.query(`ALTER INDEX ${q(INTERMEDIATE_SCHEMA)}.${q(keyIndex)} RENAME TO ${q(`${output.slice(0, 58)}_key`)}`);
	await comment('full');
	return {
		rowsIn: Number(cnt[0].n),
		rowsOut: (created.rowCount ?? 0) + carried,
		tokensIssued,
		columns: built.outputColumns,
		salts,
		build: 'full',
		buildNote,
		inputWatermark,
		inputLoadedRuns: state.loadedRuns,
	};
}

function sameSaltVersions(a: Record<string, number>, b: Record<string, number>): boolean {
	const norm = (x: Record<string, number>) => JSON.stringify(Object.entries(x).sort(([p], [r]) => p.localeCompare(r)));
	return norm(a) === norm(b);
}

/**
 * A unique index on the registry key (as published) on the new table, so later incremental builds can replace rows
 * by key; under a savepoint, because a table whose key is not unique (an unusual input relation) must still publish.
 * Returns the index name, or null when the key is not unique.
 */
async function uniqueKeyIndex(client: pg.PoolClient, buildTable: string, keys: string[]): Promise<string | null> {
	const name = `${buildTable.slice(0, 58)}_key`;
	try {
		await withSavepoint(client, 'dwh_key_index', () =>
			client.query(`CREATE UNIQUE INDEX ${q(name)} ON ${q(INTERMEDIATE_SCHEMA)}.${q(buildTable)} (${keys.map(q).join(', ')})`),
		);
		return name;
	} catch {
		return null;
	}
}

function runStart(ctx: Omit<BuildContext, 'runId'>, mode: 'set' | 'rotation'): AnonymiseRunStart {
	const { policy, sha256 } = ctx.loaded;
	const rel = inputRelation(policy.source_db, ctx.table);
	return {
		sourceDb: policy.source_db,
		sourceTable: ctx.table.table,
		inputRelation: `${rel.schema}.${rel.table}`,
		outputRelation: `${INTERMEDIATE_SCHEMA}.${outputTableName(policy.source_db, ctx.table)}`,
		mode,
		policyVersion: policy.version,
		policySha256: sha256,
		asOf: ctx.asOf,
		executionId: ctx.deps.executionId,
	};
}

export interface TransactionHooks {
	/** Runs inside the transaction after every table was built (rotation records the new salt here). */
	beforeCommit?: (client: pg.PoolClient) => Promise<void>;
}

/**
 * Builds several tables in ONE transaction (salt rotation: every table re-keyed or none). Each gets its own run row.
 */
export async function anonymiseTablesAtomically(
	deps: AnonymiseDeps,
	jobs: { loaded: LoadedPolicy; table: PolicyTable }[],
	opts: {
		asOf?: string;
		mode: 'set' | 'rotation';
		saltOverride?: Map<string, ResolvedSalt>;
		requireLogSafety?: boolean;
		sampleRows?: number;
		build?: 'full' | 'incremental';
	} & TransactionHooks,
): Promise<AnonymiseResult[]> {
	const asOf = opts.asOf ?? todayUtc();
	const runs: { ctx: BuildContext; outcome?: BuildOutcome }[] = [];
	for (const j of jobs) {
		// Rotation re-keys every row: never incremental.
		const base = {
			deps,
			loaded: j.loaded,
			table: j.table,
			asOf,
			sampleRows: opts.sampleRows,
			saltOverride: opts.saltOverride,
			build: opts.mode === 'rotation' ? ('full' as const) : opts.build,
		};
		runs.push({ ctx: { ...base, runId: await startAnonymiseRun(deps.warehouse, runStart(base, opts.mode)) } });
	}
	try {
		await withTransaction(deps.warehouse, async (client) => {
			// Every output's lock first, in one order (Forget Users takes the same locks the same way): no deadlock, and
			// READ COMMITTED statements after the wait see whatever a forget committed meanwhile.
			await lockOutputs(
				client,
				runs.map((r) => outputTableName(r.ctx.loaded.policy.source_db, r.ctx.table)),
			);
			await client.query("SET LOCAL TimeZone = 'UTC'");
			await suppressParameterLogging(client, opts.requireLogSafety ?? true);
			for (const r of runs) {
				deps.log?.(`anonymise: building ${INTERMEDIATE_SCHEMA}.${outputTableName(r.ctx.loaded.policy.source_db, r.ctx.table)} (run ${r.ctx.runId})`);
				r.outcome = await buildAndSwap(client, r.ctx);
			}
			await opts.beforeCommit?.(client);
		});
	} catch (err) {
		for (const r of runs) {
			if (err instanceof PiiCheckFailedError && err.runId === r.ctx.runId) {
				await finishAnonymiseRun(deps.warehouse, r.ctx.runId, 'blocked', { findings: err.findings, error: err }).catch(() => undefined);
			} else await failAnonymiseRun(deps.warehouse, r.ctx.runId, err);
		}
		throw err;
	}
	const results: AnonymiseResult[] = [];
	for (const r of runs) {
		const o = r.outcome!;
		await finishAnonymiseRun(deps.warehouse, r.ctx.runId, 'published', {
			saltVersions: saltVersionsJson(o.salts),
			rowsIn: o.rowsIn,
			rowsOut: o.rowsOut,
			tokensIssued: o.tokensIssued,
			build: o.build,
			inputWatermark: o.inputWatermark,
			buildNote: o.buildNote,
			inputLoadedRuns: o.inputLoadedRuns,
		});
		const { policy } = r.ctx.loaded;
		const rel = inputRelation(policy.source_db, r.ctx.table);
		results.push({
			runId: r.ctx.runId,
			sourceDb: policy.source_db,
			table: r.ctx.table.table,
			inputRelation: `${rel.schema}.${rel.table}`,
			outputRelation: `${INTERMEDIATE_SCHEMA}.${outputTableName(policy.source_db, r.ctx.table)}`,
			policyVersion: policy.version,
			saltVersions: saltVersionsJson(o.salts),
			rowsIn: o.rowsIn,
			rowsOut: o.rowsOut,
			tokensIssued: o.tokensIssued,
			columns: o.columns,
			build: o.build,
			buildNote: o.buildNote,
			inputWatermark: o.inputWatermark,
		});
	}
	return results;
}

/**
 * Anonymise Relation (set-based): raw/staging → intermediate.<output>, built as a new table, PII-checked, then
 * swapped in atomically. Readers see the old table or the new one, never a half-built or leaky one.
 */
export async function anonymiseRelation(deps: AnonymiseDeps, opts: AnonymiseRelationOptions): Promise<AnonymiseResult> {
	const table = policyTable(opts.policy.policy, opts.table);
	const [result] = await anonymiseTablesAtomically(deps, [{ loaded: opts.policy, table }], {
		asOf: opts.asOf,
		mode: 'set',
		requireLogSafety: opts.requireLogSafety,
		sampleRows: opts.sampleRows,
		build: opts.build,
	});
	return result;
}
