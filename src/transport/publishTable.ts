import pg from 'pg';

const q = pg.escapeIdentifier;

/**
 * Everything needed to recreate one view or materialized view that depends (directly or through other views) on a
 * table being replaced: a rebuilt table is a new relation, and Postgres refuses to drop the old one while views
 * reference it ("cannot drop table … because other objects depend on it").
 */
interface Dependent {
	oid: number;
	schema: string;
	name: string;
	kind: 'v' | 'm';
	owner: string;
	definition: string;
	reloptions: string[] | null;
	populated: boolean;
	comment: string | null;
	acl: { grantee: string; privilege: string; grantable: boolean }[];
	columnAcl: { column: string; grantee: string; privilege: string; grantable: boolean }[];
	columnComments: { column: string; comment: string }[];
	/** CREATE TRIGGER / CREATE INDEX statements (INSTEAD OF triggers on views, indexes on materialized views). */
	statements: string[];
	/** Relations (oids) this one reads among the table and the other dependents: creation order. */
	reads: number[];
	temporaryOfOtherSession: boolean;
	otherRules: string[];
	canActAsOwner: boolean;
	canCreateInSchema: boolean;
}

export interface PublishResult {
	/** Views and materialized views recreated on the new table, schema-qualified, in creation order. */
	recreated: string[];
}

export class DependentViewError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'DependentViewError';
	}
}

const GRANTEE = `CASE WHEN x.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(x.grantee)::text END`;
/** The grants of pg_class row `c` other than the owner's own, as JSON {grantee, privilege, grantable}[]. */
const RELATION_ACL = `coalesce((SELECT json_agg(json_build_object('grantee', ${GRANTEE}, 'privilege', x.privilege_type, 'grantable', x.is_grantable))
                               FROM aclexplode(c.relacl) x WHERE x.grantee <> c.relowner), '[]')`;

const relName = (d: { schema: string; name: string }) => `${q(d.schema)}.${q(d.name)}`;
const shown = (d: { schema: string; name: string }) => `${d.schema}.${d.name}`;
const kindWord = (d: Dependent) => (d.kind === 'm' ? 'MATERIALIZED VIEW' : 'VIEW');

/** Direct readers (views, materialized views) of the given relations, with the relation each reads. */
async function directReaders(client: pg.ClientBase, oids: number[]): Promise<{ oid: number; reads: number }[]> {
	const { rows } = await client.query<{ oid: number; reads: number }>(
		`SELECT DISTINCT r.ev_class::int8::float8 AS oid, d.refobjid::int8::float8 AS reads
		   FROM pg_depend d JOIN pg_rewrite r ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
		  WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ANY($1::oid[]) AND d.deptype = 'n' AND r.ev_class <> d.refobjid`,
		[oids],
	);
	return rows;
}

/** The dependents of `tableOid`, transitively, in an order they can be created in (readers after what they read). */
async function captureDependents(client: pg.ClientBase, tableOid: number): Promise<Dependent[]> {
	const reads = new Map<number, Set<number>>();
	let frontier = [tableOid];
	while (frontier.length) {
		const next: number[] = [];
		for (const { oid, reads: r } of await directReaders(client, frontier)) {
			if (!reads.has(oid)) {
				reads.set(oid, new Set());
				next.push(oid);
			}
			reads.get(oid)!.add(r);
		}
		frontier = next;
	}
	if (!reads.size) return [];
	const { rows } = await client.query<Omit<Dependent, 'reads'>>(
		`SELECT c.oid::int8::float8 AS oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind, pg_get_userbyid(c.relowner) AS owner,
		        pg_get_viewdef(c.oid) AS definition, c.reloptions, c.relispopulated AS populated, obj_description(c.oid, 'pg_class') AS comment,
		        ${RELATION_ACL} AS acl,
		        coalesce((SELECT json_agg(json_build_object('column', a.attname, 'grantee', ${GRANTEE},
		                                                    'privilege', x.privilege_type, 'grantable', x.is_grantable))
		                    FROM pg_attribute a, aclexplode(a.attacl) x WHERE a.attrelid = c.oid AND a.attnum > 0 AND a.attacl IS NOT NULL), '[]') AS "columnAcl",
		        coalesce((SELECT json_agg(json_build_object('column', a.attname, 'comment', col_description(c.oid, a.attnum)) ORDER BY a.attnum)
		                    FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND col_description(c.oid, a.attnum) IS NOT NULL), '[]') AS "columnComments",
		        array(SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal ORDER BY t.tgname)
		          || array(SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = c.oid ORDER BY i.indexrelid) AS statements,
		        (c.relpersistence = 't' AND c.relnamespace <> pg_my_temp_schema()) AS "temporaryOfOtherSession",
		        array(SELECT r.rulename::text FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN') AS "otherRules",
		        (pg_has_role(current_user, c.relowner, 'USAGE') AND pg_has_role(current_user, c.relowner, 'MEMBER')) AS "canActAsOwner",
		        (has_schema_privilege(current_user, c.relnamespace, 'CREATE') AND has_schema_privilege(c.relowner, c.relnamespace, 'CREATE')) AS "canCreateInSchema"
		   FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE c.oid = ANY($1::oid[])`,
		[[...reads.keys()]],
	);
	const byOid = new Map(rows.map((r) => [r.oid, { ...r, reads: [...reads.get(r.oid)!] } as Dependent]));
	const ordered: Dependent[] = [];
	const placed = new Set<number>([tableOid]);
	while (ordered.length < byOid.size) {
		const ready = [...byOid.values()].filter((d) => !placed.has(d.oid) && d.reads.every((r) => placed.has(r) || !byOid.has(r)));
		if (!ready.length) throw new DependentViewError('dependent views form a cycle'); // Postgres does not allow one
		for (const d of ready.sort((a, b) => shown(a).localeCompare(shown(b)))) {
			ordered.push(d);
			placed.add(d.oid);
		}
	}
	return ordered;
}

/** Problems that would make a faithful recreation impossible, found before anything is dropped. */
function refusals(deps: Dependent[], login: string): string[] {
	const out: string[] = [];
	for (const d of deps) {
		if (d.temporaryOfOtherSession) out.push(`${shown(d)} is a temporary view of another session — retry when that session has ended`);
		else if (!d.canActAsOwner)
			out.push(
				`${shown(d)} is owned by ${
					d.owner
				}, which ${login} is not a member of — have it owned by a role ${login} belongs to (ALTER VIEW … OWNER TO), or GRANT ${d.owner} TO ${login}`,
			);
		else if (!d.canCreateInSchema) out.push(`${shown(d)}: ${login} and its owner ${d.owner} need CREATE on schema ${d.schema} to recreate it`);
		if (d.otherRules.length) out.push(`${shown(d)} has rules (${d.otherRules.join(', ')}) that are not recreated — drop them or the view`);
	}
	return out;
}

function reloptionsClause(opts: string[] | null): string {
	if (!opts?.length) return '';
	return ` WITH (${opts
		.map((o) => {
			const i = o.indexOf('=');
			return `${q(o.slice(0, i))} = ${pg.escapeLiteral(o.slice(i + 1))}`;
		})
		.join(', ')})`;
}

const grantee = (g: string) => (g === 'PUBLIC' ? 'PUBLIC' : q(g));

async function grant(client: pg.ClientBase, rel: string, acl: { grantee: string; privilege: string; grantable: boolean; column?: string }[]): Promise<void> {
	for (const a of acl) {
		await client.query(
			`GRANT ${a.privilege}${a.column ? ` (${q(a.column)})` : ''} ON ${rel} TO ${grantee(a.grantee)}${a.grantable ? ' WITH GRANT OPTION' : ''}`,
		);
	}
}

/** Owner and grants of the table being replaced. */
async function tableGrants(client: pg.ClientBase, oid: number): Promise<{ owner: string; acl: Dependent['acl'] }> {
	const { rows } = await client.query<{ owner: string; acl: Dependent['acl'] }>(
		`SELECT pg_get_userbyid(c.relowner) AS owner,
		        ${RELATION_ACL} AS acl
		   FROM pg_class c WHERE c.oid = $1::oid`,
		[oid],
	);
	return rows[0];
}

async function recreate(client: pg.ClientBase, d: Dependent): Promise<void> {
	const rel = relName(d);
	const body = d.definition.trim().replace(/;$/, '');
	await client.query(
		d.kind === 'm'
			? `CREATE MATERIALIZED VIEW ${rel}${reloptionsClause(d.reloptions)} AS ${body} WITH ${d.populated ? '' : 'NO '}DATA`
			: `CREATE VIEW ${rel}${reloptionsClause(d.reloptions)} AS ${body}`,
	);
	const { rows } = await client.query<{ login: string; granted: string[] }>(
		`SELECT current_user AS login, array(SELECT DISTINCT ${GRANTEE} FROM pg_class c, aclexplode(c.relacl) x WHERE c.oid = $1::regclass AND x.grantee <> c.relowner) AS granted`,
		[rel],
	);
	if (d.owner !== rows[0].login) await client.query(`ALTER ${kindWord(d)} ${rel} OWNER TO ${q(d.owner)}`);
	// Default privileges of the creating role may have granted more than the old view had: start from none. Not from
	// the owner it was just given back to (those default privileges can name it): that would revoke its own access.
	for (const g of rows[0].granted) if (g !== d.owner) await client.query(`REVOKE ALL ON ${rel} FROM ${grantee(g)}`);
	await grant(client, rel, d.acl);
	await grant(client, rel, d.columnAcl);
	if (d.comment !== null) await client.query(`COMMENT ON ${kindWord(d)} ${rel} IS ${pg.escapeLiteral(d.comment)}`);
	for (const c of d.columnComments) await client.query(`COMMENT ON COLUMN ${rel}.${q(c.column)} IS ${pg.escapeLiteral(c.comment)}`);
	for (const s of d.statements) await client.query(s);
}

/**
 * Replaces `schema.target` with the freshly built `schema.build` inside the caller's transaction: the views and
 * materialized views that read the old table (also through other views) are captured — definition, owner, grants,
 * comments, INSTEAD OF triggers, matview indexes — dropped, and recreated on the new table, so nothing a reader
 * built on top of a published table is lost. The old table's owner and grants carry over to the new one (a view of
 * another owner reads it with that owner's privileges). Anything that cannot be recreated faithfully (a view whose owner the
 * login cannot act as, rules, another session's temporary view) stops the publish before anything is dropped; any
 * other kind of dependent makes the plain DROP fail. Either way the caller's ROLLBACK leaves the old table as it was.
 */
export async function publishTable(client: pg.ClientBase, schema: string, build: string, target: string): Promise<PublishResult> {
	const { rows: cur } = await client.query<{ path: string; login: string; oid: number | null }>(
		`SELECT current_setting('search_path') AS path, current_user AS login, to_regclass($1)::oid::int8::float8 AS oid`,
		[`${q(schema)}.${q(target)}`],
	);
	const { path, login, oid } = cur[0];
	if (oid === null) {
		await client.query(`ALTER TABLE ${q(schema)}.${q(build)} RENAME TO ${q(target)}`);
		return { recreated: [] };
	}
	// With an empty search_path pg_get_viewdef qualifies every name, so the definitions mean the same when replayed.
	await client.query(`SELECT set_config('search_path', '', true)`);
	try {
		await client.query(`LOCK TABLE ${q(schema)}.${q(target)} IN ACCESS EXCLUSIVE MODE`);
		const deps = await captureDependents(client, oid);
		const refused = refusals(deps, login);
		if (refused.length) throw new DependentViewError(`Cannot publish ${schema}.${target}: ${refused.join('; ')}. The previous table is still published.`);
		const table = await tableGrants(client, oid);
		// RESTRICT, readers first: a dependent that was not captured (created by another session a moment ago, or of
		// a kind not recreated here) makes the DROP fail instead of vanishing.
		try {
			for (const d of [...deps].reverse()) await client.query(`DROP ${kindWord(d)} ${relName(d)}`);
			await client.query(`DROP TABLE ${q(schema)}.${q(target)}`);
		} catch (err) {
			const e = err as { code?: string; message: string; detail?: string };
			if (e.code !== '2BP01') throw err;
			throw new DependentViewError(
				`Cannot publish ${schema}.${target}: ${e.message} (${
					e.detail ?? ''
				}) — only views and materialized views are recreated; drop or change that object, or run again if it was just created. The previous table is still published.`,
			);
		}
		await client.query(`ALTER TABLE ${q(schema)}.${q(build)} RENAME TO ${q(target)}`);
		// Views owned by another role read the table with that role's privileges: keep them as they were.
		const rel = `${q(schema)}.${q(target)}`;
		if (table.owner !== login) await client.query(`ALTER TABLE ${rel} OWNER TO ${q(table.owner)}`);
		await grant(client, rel, table.acl);
		for (const d of deps) {
			try {
				await recreate(client, d);
			} catch (err) {
				throw new DependentViewError(
					`Cannot publish ${schema}.${target}: ${kindWord(d).toLowerCase()} ${shown(d)} reads it and does not fit the rebuilt table (${
						(err as Error).message
					}) — change or drop that view, then run again. The previous table is still published.`,
				);
			}
		}
		return { recreated: deps.map(shown) };
	} finally {
		// A failed statement aborts the transaction; the caller rolls back, which restores the path anyway.
		await client.query(`SELECT set_config('search_path', $1, true)`, [path]).catch(() => undefined);
	}
}
