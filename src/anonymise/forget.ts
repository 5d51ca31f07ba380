import pg from 'pg';
import { SQL_IDENTIFIER } from '../config/identifiers';
import { DELETED_AT_COLUMN } from '../extract/bronzeSchema';
import { completePartialForgets } from './completePartialForgets';
import { hashSql, subjectHmac } from './hashing';
import { suppressParameterLogging } from './logSafety';
import { inputRelation, outputColumns, outputTableName, subjectColumn, type LegalHold, type PolicyTable } from './policy.schema';
import type { LoadedPolicy } from './policyLoader';
import { safeErrorText } from '../privacy/safeErrorText';
import { INTERMEDIATE_SCHEMA, lockOutputs, relationColumns, type AnonymiseDeps } from './runner';
import { finishRtbfRequest, openRtbfRequest, recordRtbfActions, type ForgetAction, type ForgetOutcome } from './rtbfAudit';
import { resolveActiveSalts } from './saltVersions';
import { sealVerificationToken } from './verificationToken';
import { eraseFromCopies, relationsCarrying, subjectHashColumns, subjectHashes, type SubjectHashColumns } from './subjectCopies';
import { begin, rollbackQuietly } from '../transport/transaction';

const q = pg.escapeIdentifier;

/**
 * Right-to-be-forgotten (design doc §6.8): for each user id, delete their rows from raw.* and staging.* (and the
 * intermediate rows carrying their hash), then from every other relation carrying their hash in the warehouse and
 * analytics_db (subjectCopies.ts), purge their vault entries, remember them in dwh_control.rtbf_subjects so
 * rebuilds keep them out, and write one audit request with one action per relation for the 30-day SLA.
 * Raw tables are found through the policies (every table with a `subject` column); copies through the catalog.
 * Legally held records (policy `legal_hold`) are kept in intermediate with the person's hash set to NULL.
 */

export type { ForgetAction, ForgetOutcome } from './rtbfAudit';

export interface ForgetRequest {
	userId: string;
	/** When the person asked (the source's deleted_at); defaults to now. The SLA clock starts here. */
	requestedAt?: string | Date | null;
}

export interface ForgetOptions {
	requests: ForgetRequest[];
	policies: LoadedPolicy[];
	reason?: string;
	/** First finish earlier requests left 'partial' (completePartialForgets); their outcomes come first. */
	completePartial?: boolean;
	/**
	 * analytics_db (the push-back target): every table there carrying the person's hash loses them in the same run.
	 * Without it the person leaves analytics_db only when each target is next pushed from the rebuilt marts.
	 */
	analytics?: pg.Pool | null;
}

/** Schemas the hash search skips in the warehouse: raw/staging hold ids (deleted by id above), the rest is the audit. */
const NOT_COPIES = ['raw', 'staging', 'dwh_control', 'compliance'];

interface Target {
	loaded: LoadedPolicy;
	table: PolicyTable;
}

function targetsOf(policies: LoadedPolicy[]): Target[] {
	const out: Target[] = [];
	for (const loaded of policies) for (const table of loaded.policy.tables) if (subjectColumn(table)) out.push({ loaded, table });
	return out;
}

async function relkind(client: pg.PoolClient, schema: string, table: string): Promise<string | null> {
	const { rows } = await client.query<{ k: string }>(
		`SELECT c.relkind::text AS k FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
		[schema, table],
	);
	return rows[0]?.k ?? null;
}

/** raw, staging (dbt's stg_<source>__<table>) and a custom input relation, each once. */
function pipelineRelations(t: Target): { schema: string; table: string }[] {
	const db = t.loaded.policy.source_db;
	const rels = [{ schema: 'raw', table: `${db}__${t.table.table}` }, { schema: 'staging', table: `stg_${db}__${t.table.table}` }, inputRelation(db, t.table)];
	const seen = new Set<string>();
	return rels.filter((r) => !seen.has(`${r.schema}.${r.table}`) && seen.add(`${r.schema}.${r.table}`));
}

async function forgetOne(client: pg.PoolClient, deps: AnonymiseDeps, targets: Target[], userId: string): Promise<ForgetAction[]> {
	const actions: ForgetAction[] = [];
	for (const t of targets) {
		const subject = subjectColumn(t.table)!;
		const hold = t.table.legal_hold;
		for (const rel of pipelineRelations(t)) {
			const name = `${rel.schema}.${rel.table}`;
			const kind = await relkind(client, rel.schema, rel.table);
			if (kind === null) {
				actions.push({ relation: name, action: 'absent', rows: 0 });
			} else if (kind === 'v' || kind === 'm') {
				// A view shows raw: deleting there is enough. (A materialised view is refreshed by its dbt run.)
				actions.push({ relation: name, action: 'view_follows_raw', rows: 0 });
			} else {
				if (hold) actions.push(await holdPipelineRows(client, t.table, rel, userId));
				const res = await client.query(`DELETE FROM ${q(rel.schema)}.${q(rel.table)} WHERE (${q(subject)})::text = $1`, [userId]);
				actions.push({ relation: name, action: 'deleted', rows: res.rowCount ?? 0 });
			}
		}
		const spec = t.table.columns[subject];
		const out = outputTableName(t.loaded.policy.source_db, t.table);
		const name = `${INTERMEDIATE_SCHEMA}.${out}`;
		if (spec?.strategy !== 'hash' || (await relkind(client, INTERMEDIATE_SCHEMA, out)) !== 'r') {
			actions.push({ relation: name, action: 'absent', rows: 0 });
			continue;
		}
		const salts = await resolveActiveSalts(client, deps.secrets.salts, [spec.salt]);
		const col = outputColumns(subject, spec)[0];
		const params = [userId, salts.get(spec.salt)!.salt];
		if (hold) {
			// The record stays for the law, no longer anyone's: the hash is the only link the anonymised row has.
			const dated = q(outputColumns(hold.date_column, t.table.columns[hold.date_column])[0]);
			const kept = await client.query(
				`UPDATE ${q(INTERMEDIATE_SCHEMA)}.${q(out)} SET ${q(col)} = NULL
				  WHERE ${q(col)} = ${hashSql('$1::text', '$2', spec)} AND ${dated} >= now() - make_interval(years => $3)`,
				[...params, hold.years],
			);
			actions.push({ relation: name, action: 'held_unlinked', rows: kept.rowCount ?? 0, note: holdNote(hold, [col]) });
		}
		const res = await client.query(`DELETE FROM ${q(INTERMEDIATE_SCHEMA)}.${q(out)} WHERE ${q(col)} = ${hashSql('$1::text', '$2', spec)}`, params);
		actions.push({ relation: name, action: 'deleted', rows: res.rowCount ?? 0 });
	}
	return actions;
}

const holdNote = (hold: LegalHold, cleared: string[]) =>
	`legal hold: ${hold.basis} — kept ${hold.years} years from ${hold.date_column}; set to NULL: ${cleared.join(', ')}`;

/**
 * A held table's raw/staging rows within the hold stay, so that a full rebuild publishes the kept records again
 * (unlinked: the subject is NULL, and so is every column the policy does not keep as is — free text, other ids).
 * Columns the policy hashes with another salt (account_id) stay: they are the record's own link for compliance.
 */
async function holdPipelineRows(client: pg.PoolClient, table: PolicyTable, rel: { schema: string; table: string }, userId: string): Promise<ForgetAction> {
	const hold = table.legal_hold!;
	const subject = subjectColumn(table)!;
	const present = new Set((await relationColumns(client, rel))?.map((c) => c.name));
	const cleared = [
		subject,
		...Object.entries(table.columns)
			.filter(([c, s]) => c !== subject && present.has(c) && (s.strategy === 'suppress' || s.strategy === 'tokenise'))
			.map(([c]) => c),
	];
	const res = await client.query(
		`UPDATE ${q(rel.schema)}.${q(rel.table)} SET ${cleared.map((c) => `${q(c)} = NULL`).join(', ')}
		  WHERE (${q(subject)})::text = $1 AND (${q(hold.date_column)})::timestamptz >= now() - make_interval(years => $2)`,
		[userId, hold.years],
	);
	return { relation: `${rel.schema}.${rel.table}`, action: 'held_unlinked', rows: res.rowCount ?? 0, note: holdNote(hold, cleared) };
}

/** The policies' own outputs: forgetOne handles their subject column (and holds); the hash search only unlinks. */
function policyOutputs(policies: LoadedPolicy[]): Set<string> {
	return new Set(policies.flatMap((l) => l.policy.tables.map((t) => `${INTERMEDIATE_SCHEMA}.${outputTableName(l.policy.source_db, t)}`)));
}

/** The person's hashes under the warehouse's active salts (analytics_db has no salt register). */
async function hashesOf(warehouse: pg.PoolClient, deps: AnonymiseDeps, cols: SubjectHashColumns, userId: string): Promise<string[]> {
	if (!cols.columns.size) return [];
	return subjectHashes(cols, await resolveActiveSalts(warehouse, deps.secrets.salts, cols.saltTypes), userId);
}

async function copiesOf(
	client: pg.PoolClient,
	cols: SubjectHashColumns,
	hashes: string[],
	opts: { place?: string; skip: string[]; linkOnly?: Set<string> },
): Promise<ForgetAction[]> {
	if (!hashes.length) return [];
	const relations = await relationsCarrying(client, [...cols.columns.keys()], opts.skip);
	return eraseFromCopies(client, relations, cols, hashes, opts);
}

export async function forgetUsers(deps: AnonymiseDeps, opts: ForgetOptions): Promise<ForgetOutcome[]> {
	const seen = new Set<string>();
	const requests = opts.requests
		.map((r) => ({ ...r, userId: String(r.userId).trim() }))
		.filter((r) => r.userId !== '' && !seen.has(r.userId) && seen.add(r.userId));
	const targets = targetsOf(opts.policies);
	if (!targets.length) throw new Error('No policy table declares a subject column: right-to-be-forgotten would find nothing to delete');
	const needsVault = opts.policies.some((p) => p.policy.tables.some((t) => Object.values(t.columns).some((c) => c.strategy === 'tokenise')));
	const hashCols = subjectHashColumns(opts.policies);
	const outputs = policyOutputs(opts.policies);

	const outcomes: ForgetOutcome[] = opts.completePartial ? await completePartialForgets(deps) : [];
	for (const r of requests) {
		const subject = subjectHmac(deps.secrets.hmacKey, r.userId);
		const requestId = await openRtbfRequest(deps.warehouse, {
			subjectHmac: subject,
			requestedAt: r.requestedAt instanceof Date ? r.requestedAt.toISOString() : r.requestedAt ?? null,
			reason: opts.reason ?? null,
			executionId: deps.executionId,
		});
		const actions: ForgetAction[] = [];
		let status: ForgetOutcome['status'] = 'completed';
		let error: string | null = null;
		const client = await deps.warehouse.connect();
		const an = opts.analytics ? await opts.analytics.connect().catch((err) => err as Error) : null;
		let analyticsOpen = false;
		try {
			if (an instanceof Error) throw an;
			await begin(client);
			// The builds' locks, in their order: a build in flight publishes first and the person is then deleted from
			// what it published; a build that starts now waits and then sees this forget (rows gone, subject registered).
			await lockOutputs(
				client,
				targets.map((t) => outputTableName(t.loaded.policy.source_db, t.table)),
			);
			await suppressParameterLogging(client);
			actions.push(...(await forgetOne(client, deps, targets, r.userId)));
			const hashes = await hashesOf(client, deps, hashCols, r.userId);
			actions.push(...(await copiesOf(client, hashCols, hashes, { skip: NOT_COPIES, linkOnly: outputs })));
			if (an) {
				// Its own transaction, committed right after the warehouse's: a failure before then loses nothing (the
				// user id is still in raw, the next sweep retries).
				await begin(an);
				analyticsOpen = true;
				await suppressParameterLogging(an);
				actions.push(...(await copiesOf(an, hashCols, hashes, { place: 'analytics_db', skip: [] })));
			}
			await client.query(`INSERT INTO dwh_control.rtbf_subjects (subject_hmac, first_request) VALUES ($1, $2) ON CONFLICT (subject_hmac) DO NOTHING`, [
				subject,
				requestId,
			]);
			await client.query('COMMIT');
		} catch (err) {
			await rollbackQuietly(client);
			if (an && !(an instanceof Error) && analyticsOpen) await rollbackQuietly(an);
			analyticsOpen = false;
			status = 'failed';
			error = safeErrorText(err);
			actions.length = 0;
		} finally {
			client.release();
		}
		if (an && !(an instanceof Error)) {
			if (analyticsOpen) {
				try {
					await an.query('COMMIT');
				} catch (err) {
					status = 'partial';
					error = `warehouse rows removed; the analytics_db deletes failed at commit (the next push of each target mirrors the rebuilt marts without the person): ${safeErrorText(
						err,
					)}`;
					actions.splice(0, actions.length, ...actions.filter((a) => !a.relation.startsWith('analytics_db.')));
				}
			}
			an.release();
		}
		if (status !== 'failed') {
			if (deps.vault) {
				try {
					const purged = await deps.vault.purgeSubjects([subject]);
					actions.push({ relation: 'compliance.token_vault', action: 'vault_purged', rows: purged.tokensPurged });
				} catch (err) {
					status = 'partial';
					error = `warehouse rows removed, vault purge failed (the next Forget Users run with a vault retries it): ${safeErrorText(err)}`;
				}
			} else if (needsVault) {
				status = 'partial';
				error =
					'warehouse rows removed; the vault was not purged because the credential has no vault connection — the next Forget Users run with one completes it';
			}
		}
		await recordRtbfActions(deps.warehouse, requestId, actions);
		await finishRtbfRequest(deps.warehouse, requestId, status, error);
		outcomes.push({
			requestId,
			subjectHmac: subject,
			status,
			actions,
			rowsRemoved: actions.reduce((n, a) => n + a.rows, 0),
			verificationToken: sealVerificationToken(deps.secrets.hmacKey, r.userId),
		});
	}
	return outcomes;
}

export interface FlaggedUsersSource {
	/** Relation holding the users, e.g. raw.auth_db__users. */
	schema: string;
	table: string;
	idColumn: string;
	/** Timestamp set when the user asked to be deleted (design doc §6.8: users.deleted_at). */
	flagColumn: string;
}

/**
 * Users flagged deleted at the source whose row is still in the relation, with their request time.
 *
 * Forgetting deletes the user's own row, so a flagged row that is still here is either new or came back with a later
 * extract (a back-fill or reseed re-reads soft-deleted rows with their PII). Both must be forgotten again, so the
 * forgotten-subject register is deliberately NOT used to filter here: filtering on it left returning PII in raw and,
 * applied after the LIMIT, could starve newly flagged users behind 500 returning ones.
 *
 * A user row hard-deleted at the source never gets a flag; a reconcile repair marks it in bronze (_dwh_deleted_at,
 * its other personal columns already erased — docs/reconcile.md) and it counts as flagged from then on.
 */
export async function findFlaggedUsers(deps: AnonymiseDeps, src: FlaggedUsersSource, limit = 1000): Promise<ForgetRequest[]> {
	for (const n of [src.schema, src.table, src.idColumn, src.flagColumn]) {
		if (!SQL_IDENTIFIER.test(n)) throw new Error(`"${n}" is not a valid lower-case SQL identifier`);
	}
	const { rows: marked } = await deps.warehouse.query(
		`SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', $1::text, $2::text)) AND attname = $3 AND NOT attisdropped`,
		[src.schema, src.table, DELETED_AT_COLUMN],
	);
	const flag =
		marked.length && src.flagColumn !== DELETED_AT_COLUMN
			? `coalesce(u.${q(src.flagColumn)}::timestamptz, u.${q(DELETED_AT_COLUMN)})`
			: `u.${q(src.flagColumn)}::timestamptz`;
	const { rows } = await deps.warehouse.query<{ id: string; at: string }>(
		`SELECT (u.${q(src.idColumn)})::text AS id, ${flag}::text AS at FROM ${q(src.schema)}.${q(src.table)} u
		  WHERE ${flag} IS NOT NULL ORDER BY ${flag} LIMIT ${Math.max(1, Math.floor(limit))}`,
	);
	return rows.map((r) => ({ userId: r.id, requestedAt: r.at }));
}
