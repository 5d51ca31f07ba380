import { createInterface } from 'node:readline';
import pg from 'pg';
import { subjectHmac, vaultLookupHash } from './hashing';
import { suppressParameterLogging } from './logSafety';
import { subjectColumn } from './policy.schema';
import type { LoadedPolicy } from './policyLoader';
import { resolveActiveSalts } from './saltVersions';
import type { AnonymisationSecrets } from './secrets.schema';
import { subjectHashColumns, subjectHashes } from './subjectCopies';
import type { ObjectStore } from '../transport/objectStore';
import { withTransaction } from '../transport/transaction';

const q = pg.escapeIdentifier;

/**
 * The residue verifier of issue 12: after Forget Users, is anything of the person left? It searches every table and
 * materialized view of the warehouse (raw, staging, intermediate, marts, dwh_control), analytics_db, the token vault
 * and every CSV under exports/ and processed/, and reports each place with a count. The searched values (id, hashes,
 * subject HMAC, e-mail, phone) never appear in what it returns, so the report may go to logs.
 *
 * Where each value is looked for, and why:
 * - the user id only in the policies' subject columns of raw/staging and in a CSV's subject column: a bare number
 *   such as 7 anywhere else would match unrelated counts and ids;
 * - the user_hash variants (every hash column salted like a subject column, as Forget Users computes them) and the
 *   subject HMAC by equality in every text column, except the RTBF audit's own subject_hmac (its purpose);
 * - the e-mail (case-insensitively) and phone as substrings of every text column and CSV record (free text quotes them);
 * - the vault: token_subjects links of the subject HMAC, and tokens whose keyed lookup hash is the e-mail or phone.
 * Records kept under a legal hold are reported from the forget audit (action held_unlinked), as holds, not residue:
 * they no longer carry the person, so no search can find them.
 */

export interface ResidueSubject {
	userId: string;
	/** The source database the id belongs to (its policy must declare a subject column). */
	sourceDb: string;
	email?: string | null;
	phone?: string | null;
}

export interface ResidueDeps {
	warehouse: pg.Pool;
	analytics?: pg.Pool | null;
	/** The compliance database (token vault). */
	vault?: pg.Pool | null;
	store?: ObjectStore | null;
	secrets: Pick<AnonymisationSecrets, 'salts' | 'hmacKey'>;
	policies: LoadedPolicy[];
	/** The registry's retention.archive_days: a CSV finding then says when the archive retention removes it. */
	archiveDays?: number | null;
}

export type ResidueMatch = 'id' | 'hash' | 'subject_hmac' | 'email' | 'phone' | 'token';

export interface ResidueFinding {
	place: 'warehouse' | 'analytics_db' | 'vault' | 'object_store';
	/** schema.relation.column, or the object key with the line the record starts on. */
	location: string;
	/** Rows (or CSV records) matching. */
	count: number;
	matched: ResidueMatch[];
	kind: 'residue' | 'hold';
	note?: string;
	/** A CSV: when the archive retention removes it (written + archive_days); absent where nothing removes it by itself. */
	expiresAt?: string;
}

export interface ResidueReport {
	subjectHmac: string;
	residue: ResidueFinding[];
	holds: ResidueFinding[];
	/** What was searched, so a clean report says how much it covered. */
	searched: { relations: number; objects: number; objectStore: boolean; vault: boolean; analytics: boolean; unreadable: string[] };
}

const SYSTEM_SCHEMAS = ['pg_catalog', 'information_schema', 'pg_toast'];
const TEXT_TYPES = ['text', 'character varying', 'character'];
/** The audit keeps the subject HMAC on purpose (design §6.8): it proves the request was honoured (and was verified). */
const AUDIT_HMAC = new Set(['dwh_control.rtbf_requests.subject_hmac', 'dwh_control.rtbf_subjects.subject_hmac', 'dwh_control.residue_checks.subject_hmac']);

/** Phone spellings a source may hold: as given, and the national 0… form of a +27 number. */
export function phoneVariants(phone: string): string[] {
	const p = phone.replace(/[\s()-]/g, '');
	const out = new Set([phone.trim(), p]);
	if (p.startsWith('+27')) {
		out.add(`0${p.slice(3)}`);
		out.add(p.slice(1));
	}
	return [...out].filter((x) => x.length >= 6);
}

interface Needles {
	userId: string;
	hashes: string[];
	hmac: string;
	email: string | null;
	phones: string[];
}

function subjectIdColumns(policies: LoadedPolicy[]): Map<string, string> {
	const out = new Map<string, string>();
	for (const { policy } of policies) {
		for (const t of policy.tables) {
			const col = subjectColumn(t);
			if (!col) continue;
			out.set(`raw.${policy.source_db}__${t.table}`, col);
			out.set(`staging.stg_${policy.source_db}__${t.table}`, col);
		}
	}
	return out;
}

interface Column {
	schema: string;
	rel: string;
	column: string;
	text: boolean;
	/** The login may read it; a relation it may not is reported as not searched, never skipped silently. */
	readable: boolean;
}

async function columnsOf(db: pg.ClientBase): Promise<Column[]> {
	const { rows } = await db.query<{ schema: string; rel: string; column: string; type: string; readable: boolean }>(
		`SELECT n.nspname AS schema, c.relname AS rel, a.attname AS column, format_type(a.atttypid, NULL) AS type,
		        has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT') AS readable
		   FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition AND a.attnum > 0 AND NOT a.attisdropped
		    AND n.nspname <> ALL($1::text[]) AND n.nspname NOT LIKE 'pg\\_temp\\_%' AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%'
		  ORDER BY 1, 2, a.attnum`,
		[SYSTEM_SCHEMAS],
	);
	return rows.map((r) => ({ schema: r.schema, rel: r.rel, column: r.column, text: TEXT_TYPES.includes(r.type), readable: r.readable }));
}

/**
 * One scan per relation: a count per (column, kind of value). Values are bound parameters ($1 id, $2 hashes,
 * $3 hmac, $4 e-mail, $5 phones), and parameter logging is off, so the server log never sees them.
 */
async function scanDatabase(
	db: pg.Pool,
	place: 'warehouse' | 'analytics_db',
	n: Needles,
	idColumns: Map<string, string>,
): Promise<{ findings: ResidueFinding[]; relations: number; unreadable: string[] }> {
	return withTransaction(
		db,
		async (client) => {
			await suppressParameterLogging(client);
			const byRel = new Map<string, Column[]>();
			for (const c of await columnsOf(client)) {
				const key = `${c.schema}.${c.rel}`;
				byRel.set(key, [...(byRel.get(key) ?? []), c]);
			}
			const findings: ResidueFinding[] = [];
			const unreadable: string[] = [];
			for (const [rel, cols] of byRel) {
				if (!cols[0].readable) {
					unreadable.push(place === 'warehouse' ? rel : `analytics_db.${rel}`);
					continue;
				}
				const probes: { column: string; match: ResidueMatch; sql: string }[] = [];
				const idCol = place === 'warehouse' ? idColumns.get(rel) : undefined;
				for (const c of cols) {
					const col = `t.${q(c.column)}`;
					if (c.column === idCol) probes.push({ column: c.column, match: 'id', sql: `(${col})::text = n.id` });
					if (!c.text) continue;
					probes.push({ column: c.column, match: 'hash', sql: `${col} = ANY(n.hashes)` });
					if (!AUDIT_HMAC.has(`${rel}.${c.column}`)) probes.push({ column: c.column, match: 'subject_hmac', sql: `${col} = n.hmac` });
					if (n.email) probes.push({ column: c.column, match: 'email', sql: `strpos(lower(${col}), n.email) > 0` });
					if (n.phones.length) probes.push({ column: c.column, match: 'phone', sql: `${col} LIKE ANY(n.phones)` });
				}
				if (!probes.length) continue;
				const [schema, name] = [cols[0].schema, cols[0].rel];
				const { rows } = await client.query<Record<string, string>>(
					`SELECT ${probes.map((p, i) => `count(*) FILTER (WHERE ${p.sql}) AS p${i}`).join(', ')}
					   FROM ${q(schema)}.${q(name)} t, (SELECT $1::text AS id, $2::text[] AS hashes, $3::text AS hmac, $4::text AS email, $5::text[] AS phones) n`,
					[n.userId, n.hashes, n.hmac, n.email ?? '', n.phones.map((p) => `%${p.replace(/[\\%_]/g, '\\$&')}%`)],
				);
				const perColumn = new Map<string, { count: number; matched: ResidueMatch[] }>();
				probes.forEach((p, i) => {
					const count = Number(rows[0][`p${i}`]);
					if (!count) return;
					const f = perColumn.get(p.column) ?? { count: 0, matched: [] };
					// A row can match several values in one column (rare); the largest count is a lower bound of the rows.
					f.count = Math.max(f.count, count);
					f.matched.push(p.match);
					perColumn.set(p.column, f);
				});
				for (const [column, f] of perColumn) findings.push({ place, location: `${rel}.${column}`, count: f.count, matched: f.matched, kind: 'residue' });
			}
			return { findings, relations: byRel.size - unreadable.length, unreadable };
		},
		{ readOnly: true },
	);
}

async function scanVault(vault: pg.Pool, n: Needles, hmacKey: string, email: string | null, phone: string | null): Promise<ResidueFinding[]> {
	const out: ResidueFinding[] = [];
	const { rows: links } = await vault.query<{ n: string }>('SELECT count(*) AS n FROM compliance.token_subjects WHERE subject_hmac = $1', [n.hmac]);
	if (Number(links[0].n))
		out.push({ place: 'vault', location: 'compliance.token_subjects.subject_hmac', count: Number(links[0].n), matched: ['subject_hmac'], kind: 'residue' });
	const lookups = [email, phone].filter((v): v is string => Boolean(v)).map((v) => vaultLookupHash(hmacKey, v));
	const { rows: tokens } = await vault.query<{ n: string }>(
		`SELECT count(*) AS n FROM compliance.token_vault v
		  WHERE v.lookup_hash = ANY($2::bytea[]) OR v.token IN (SELECT token FROM compliance.token_subjects WHERE subject_hmac = $1)`,
		[n.hmac, lookups],
	);
	if (Number(tokens[0].n)) out.push({ place: 'vault', location: 'compliance.token_vault', count: Number(tokens[0].n), matched: ['token'], kind: 'residue' });
	return out;
}

/** A CSV record can span lines (a quoted field with a newline): it ends where the quotes balance. */
function splitCsvRecord(record: string): string[] {
	const fields: string[] = [];
	let cur = '';
	let quoted = false;
	for (let i = 0; i < record.length; i++) {
		const ch = record[i];
		if (quoted) {
			if (ch === '"' && record[i + 1] === '"') (cur += '"'), i++;
			else if (ch === '"') quoted = false;
			else cur += ch;
		} else if (ch === '"') quoted = true;
		else if (ch === ',') fields.push(cur), (cur = '');
		else cur += ch;
	}
	fields.push(cur);
	return fields;
}

/** The raw table a key belongs to: <prefix>/exports|processed/<db>__<table>/<file>.csv. */
function tableOfKey(key: string, root: string): string | null {
	return key.slice(root.length).split('/')[0] || null;
}

async function scanObject(store: ObjectStore, key: string, idColumn: string | undefined, n: Needles): Promise<ResidueFinding[]> {
	const body = await store.download(key);
	const lines = createInterface({ input: body, crlfDelay: Infinity });
	const findings: ResidueFinding[] = [];
	let lineNo = 0;
	let idIndex = -1;
	let pending = '';
	let startLine = 0;
	for await (const line of lines) {
		lineNo++;
		if (!pending) startLine = lineNo;
		pending = pending ? `${pending}\n${line}` : line;
		if ((pending.match(/"/g)?.length ?? 0) % 2 === 1) continue;
		const record = pending;
		pending = '';
		if (startLine === 1) {
			idIndex = idColumn ? splitCsvRecord(record).indexOf(idColumn) : -1;
			continue;
		}
		const matched: ResidueMatch[] = [];
		if (idIndex >= 0 && splitCsvRecord(record)[idIndex] === n.userId) matched.push('id');
		if (n.hashes.some((h) => record.includes(h))) matched.push('hash');
		if (record.includes(n.hmac)) matched.push('subject_hmac');
		if (n.email && record.toLowerCase().includes(n.email)) matched.push('email');
		if (n.phones.some((p) => record.includes(p))) matched.push('phone');
		if (matched.length) findings.push({ place: 'object_store', location: `${key}:${startLine}`, count: 1, matched, kind: 'residue' });
	}
	return findings;
}

async function scanObjects(
	store: ObjectStore,
	n: Needles,
	policies: LoadedPolicy[],
	archiveDays: number | null,
): Promise<{ findings: ResidueFinding[]; objects: number }> {
	const subjectOf = new Map<string, string>();
	for (const { policy } of policies) for (const t of policy.tables) if (subjectColumn(t)) subjectOf.set(`${policy.source_db}__${t.table}`, subjectColumn(t)!);
	const base = store.cfg.prefix ? `${store.cfg.prefix}/` : '';
	const findings: ResidueFinding[] = [];
	let objects = 0;
	for (const area of ['exports/', 'processed/']) {
		const root = `${base}${area}`;
		for (const { key, lastModified } of await store.listObjects(root)) {
			if (!key.endsWith('.csv')) continue;
			objects++;
			const found = await scanObject(store, key, subjectOf.get(tableOfKey(key, root) ?? ''), n);
			const expiresAt = archiveDays ? new Date(lastModified.getTime() + archiveDays * 86_400_000).toISOString() : undefined;
			findings.push(...found.map((f) => (expiresAt ? { ...f, expiresAt } : f)));
		}
	}
	return { findings, objects };
}

async function holdsOf(warehouse: pg.Pool, hmac: string): Promise<ResidueFinding[]> {
	const { rows } = await warehouse.query<{ relation: string; n: string; note: string | null }>(
		`SELECT a.relation, sum(a.rows_affected)::text AS n, max(a.note) AS note
		   FROM dwh_control.rtbf_actions a JOIN dwh_control.rtbf_requests r USING (request_id)
		  WHERE r.subject_hmac = $1 AND a.action = 'held_unlinked' AND a.rows_affected > 0
		  GROUP BY a.relation ORDER BY a.relation`,
		[hmac],
	);
	return rows.map((r) => ({ place: 'warehouse', location: r.relation, count: Number(r.n), matched: [], kind: 'hold', ...(r.note ? { note: r.note } : {}) }));
}

export async function scanResidue(deps: ResidueDeps, subject: ResidueSubject): Promise<ResidueReport> {
	const userId = String(subject.userId ?? '').trim();
	if (!userId) throw new Error('userId is required: the source user id of the forgotten person (e.g. 7)');
	const source = deps.policies.find((p) => p.policy.source_db === subject.sourceDb);
	if (!source)
		throw new Error(
			`sourceDb "${subject.sourceDb}" has no anonymisation policy — use one of: ${deps.policies
				.map((p) => p.policy.source_db)
				.sort()
				.join(', ')}`,
		);
	if (!source.policy.tables.some((t) => subjectColumn(t)))
		throw new Error(`sourceDb "${subject.sourceDb}": no table of its policy declares a subject column, so its ids cannot be traced`);
	const cols = subjectHashColumns(deps.policies);
	const salts = await resolveActiveSalts(deps.warehouse, deps.secrets.salts, cols.saltTypes);
	const email = subject.email?.trim().toLowerCase() || null;
	const phone = subject.phone?.trim() || null;
	const n: Needles = {
		userId,
		hashes: cols.columns.size ? subjectHashes(cols, salts, userId) : [],
		hmac: subjectHmac(deps.secrets.hmacKey, userId),
		email,
		phones: phone ? phoneVariants(phone) : [],
	};
	const idColumns = subjectIdColumns(deps.policies);
	const wh = await scanDatabase(deps.warehouse, 'warehouse', n, idColumns);
	const residue = [...wh.findings];
	let relations = wh.relations;
	const unreadable = [...wh.unreadable];
	if (deps.analytics) {
		const an = await scanDatabase(deps.analytics, 'analytics_db', n, idColumns);
		residue.push(...an.findings);
		relations += an.relations;
		unreadable.push(...an.unreadable);
	}
	if (deps.vault) residue.push(...(await scanVault(deps.vault, n, deps.secrets.hmacKey, subject.email?.trim() || null, phone)));
	let objects = 0;
	if (deps.store) {
		const o = await scanObjects(deps.store, n, deps.policies, deps.archiveDays ?? null);
		residue.push(...o.findings);
		objects = o.objects;
	}
	return {
		subjectHmac: n.hmac,
		residue,
		holds: await holdsOf(deps.warehouse, n.hmac),
		searched: { relations, objects, objectStore: Boolean(deps.store), vault: Boolean(deps.vault), analytics: Boolean(deps.analytics), unreadable },
	};
}

/** One line per place, values never included: safe for logs and run output. */
export function formatResidueReport(r: ResidueReport): string[] {
	const lines = [
		...r.residue.map(
			(f) => `RESIDUE ${f.place} ${f.location}: ${f.count} (${f.matched.join(', ')})${f.expiresAt ? ` — expires ${f.expiresAt} (archive retention)` : ''}`,
		),
		...r.holds.map((f) => `HOLD    ${f.place} ${f.location}: ${f.count} kept unlinked${f.note ? ` — ${f.note}` : ''}`),
	];
	const s = r.searched;
	lines.push(
		`${r.residue.length ? `${r.residue.length} place(s) with residue` : 'no residue'}, ${r.holds.length} legal hold(s); searched ${s.relations} relation(s)${
			s.analytics ? ' incl. analytics_db' : ''
		}, ` +
			`${s.objectStore ? `${s.objects} CSV object(s)` : 'no object store (not configured)'}, vault ${s.vault ? 'searched' : 'not configured'}` +
			(s.unreadable.length ? `; NOT searched (this login may not read them): ${s.unreadable.join(', ')}` : ''),
	);
	return lines;
}
