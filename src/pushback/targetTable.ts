import pg from 'pg';
import { readSourceColumns } from '../extract/sourceColumns';
import { buildCreateTargetSql, relationName, type SyncColumn } from './syncSql';
import { withSavepoint } from '../transport/transaction';
import { advisoryXactLock, namespacedKey } from '../transport/advisoryLock';

const q = pg.escapeIdentifier;

export class PushTargetError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'PushTargetError';
	}
}

interface Target {
	schema: string;
	table: string;
}

/**
 * Makes analytics_db.<schema>.<table> exist with the source's columns and the configured key, or checks that
 * an existing one still fits. Runs inside the push transaction, so a push that fails on its first run leaves
 * no half-created table behind. Returns true when the table was created.
 */
export async function ensureTargetTable(client: pg.ClientBase, target: Target, columns: SyncColumn[], key: string[]): Promise<boolean> {
	await client.query(`CREATE SCHEMA IF NOT EXISTS ${q(target.schema)}`);
	const rel = relationName(target.schema, target.table);
	const { rows } = await client.query<{ oid: string | null; kind: string | null }>(
		`SELECT c.oid::text AS oid, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		  WHERE n.nspname = $1 AND c.relname = $2`,
		[target.schema, target.table],
	);
	if (!rows.length) {
		await client.query(buildCreateTargetSql(target, columns, key));
		return true;
	}
	const where = `target ${target.schema}.${target.table}`;
	if (rows[0].kind !== 'r' && rows[0].kind !== 'p') throw new PushTargetError(`${where} exists but is not a table — drop it or choose another target.table`);

	const existing = await readSourceColumns(client as pg.PoolClient, target.schema, target.table);
	const byName = new Map(existing.map((c) => [c.name, c]));
	const extra = existing.filter((c) => !columns.some((s) => s.name === c.name)).map((c) => c.name);
	if (extra.length) {
		throw new PushTargetError(
			`${where} has column(s) ${extra.join(
				', ',
			)} that the source no longer produces — add them back to the source, or drop them from the target (apps may read them)`,
		);
	}
	for (const c of columns) {
		const t = byName.get(c.name);
		if (t && t.type !== c.type) {
			throw new PushTargetError(
				`${where}: column ${c.name} is ${t.type} in the target but ${c.type} in the source — cast it in the source query or migrate the target column`,
			);
		}
	}
	// A column the mart gained is added (nullable); existing rows get it filled by this push's update.
	for (const c of columns.filter((s) => !byName.has(s.name))) {
		await client.query(`ALTER TABLE ${rel} ADD COLUMN ${q(c.name)} ${c.type}`);
	}
	const pk = await client.query<{ cols: string[] | null }>(
		`SELECT array_agg(a.attname::text ORDER BY k.ord) AS cols
		   FROM pg_index i
		   CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		  WHERE i.indrelid = $1::oid AND i.indisprimary`,
		[rows[0].oid],
	);
	const pkCols = pk.rows[0]?.cols ?? [];
	if (pkCols.length !== key.length || !key.every((k) => pkCols.includes(k))) {
		throw new PushTargetError(`${where} has primary key (${pkCols.join(', ') || 'none'}) but the push is keyed by (${key.join(', ')}) — make them match`);
	}
	return false;
}

/**
 * Creates the app's role NOLOGIN when it is missing. No password is ever set here: a DBA grants the role to the
 * app's login (or gives it LOGIN and a password through the vault), so no secret passes through the pipeline.
 */
export async function ensureAppRole(client: pg.ClientBase, role: string): Promise<boolean> {
	const { rows } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
	if (rows.length) return false;
	try {
		await withSavepoint(client, 'pushback_role', () => client.query(`CREATE ROLE ${q(role)} NOLOGIN`));
		return true;
	} catch (err) {
		const code = (err as { code?: string }).code;
		// Another push created it between our check and CREATE ROLE.
		if (code === '42710' || code === '23505') return false;
		if (code === '42501') {
			const { rows: who } = await client.query<{ u: string }>('SELECT current_user AS u');
			throw new PushTargetError(
				`app role ${role} does not exist on analytics_db and user ${who[0].u} may not create roles — ask a DBA to run CREATE ROLE ${q(
					role,
				)} NOLOGIN (or grant the push-back user CREATEROLE)`,
			);
		}
		throw err;
	}
}

/**
 * Serialises the DDL and grants of pushes into one schema (two targets of one app pushed at once would otherwise
 * race on CREATE SCHEMA and on the schema's ACL row). Transaction-scoped: released at COMMIT/ROLLBACK.
 */
export async function lockTargetSchema(client: pg.ClientBase, schema: string): Promise<void> {
	await advisoryXactLock(client, namespacedKey('dataacuity.pushback.schema', schema));
}

/**
 * USAGE on the schema and SELECT on the table for the app role, and nothing for anyone else: PUBLIC and any other
 * grantee (a previous appRole, a hand-made grant) lose their table privileges, so the table is readable by
 * exactly its owner and the app. Statements run only when the ACL differs, so a re-run changes nothing.
 * Returns the roles whose privileges were revoked.
 */
export async function grantAppRead(client: pg.ClientBase, target: Target, role: string): Promise<string[]> {
	const rel = relationName(target.schema, target.table);
	const schemaAcl = await client.query<{ public_has: boolean; role_usage: boolean }>(
		`SELECT coalesce(bool_or(a.grantee = 0), false) AS public_has,
		        coalesce(bool_or(a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2) AND a.privilege_type = 'USAGE'), false) AS role_usage
		   FROM pg_namespace n LEFT JOIN LATERAL aclexplode(n.nspacl) a ON true
		  WHERE n.nspname = $1`,
		[target.schema, role],
	);
	if (schemaAcl.rows[0]?.public_has) await client.query(`REVOKE ALL ON SCHEMA ${q(target.schema)} FROM PUBLIC`);
	if (!schemaAcl.rows[0]?.role_usage) await client.query(`GRANT USAGE ON SCHEMA ${q(target.schema)} TO ${q(role)}`);

	const { rows: acl } = await client.query<{ grantee: string; privilege: string }>(
		`SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE r.rolname END AS grantee, a.privilege_type AS privilege
		   FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a LEFT JOIN pg_roles r ON r.oid = a.grantee
		  WHERE c.oid = $1::regclass AND a.grantee <> c.relowner AND a.grantee <> (SELECT oid FROM pg_roles WHERE rolname = current_user)`,
		[rel],
	);
	const others = [...new Set(acl.filter((a) => a.grantee !== role).map((a) => a.grantee))];
	for (const g of others) await client.query(`REVOKE ALL ON TABLE ${rel} FROM ${g === 'PUBLIC' ? 'PUBLIC' : q(g)}`);
	const mine = acl.filter((a) => a.grantee === role).map((a) => a.privilege);
	if (!(mine.length === 1 && mine[0] === 'SELECT')) {
		if (mine.length) await client.query(`REVOKE ALL ON TABLE ${rel} FROM ${q(role)}`);
		await client.query(`GRANT SELECT ON TABLE ${rel} TO ${q(role)}`);
	}
	return others;
}
