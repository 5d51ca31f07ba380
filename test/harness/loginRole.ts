import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { postgresConnectionSchema, type PostgresConnection } from '../../src/config/connection.schema';
import { adminConnection } from './testEnv';

export interface Login {
	pool: pg.Pool;
	login: string;
	password: string;
	/** The same login as a connection config, for the node, pipeline context or dbt under test. */
	connection: PostgresConnection;
	drop(): Promise<void>;
}

/**
 * A LOGIN role with a random password, member of `memberOf`, as a DBA sets up a documented login; returns a pool
 * connected as it to `database`. Privilege tests read and write through this, never through the superuser.
 * `sessionRole` is a stage login as docs/security.md sets it up: `ALTER ROLE <login> SET role = <stage role>`, so
 * every session runs as the stage role and what it creates is owned by that role, not by the login.
 */
export async function createLogin(database: string, memberOf: string[], prefix = 'test_login', opts: { sessionRole?: string } = {}): Promise<Login> {
	const login = `${prefix}_${randomBytes(3).toString('hex')}`;
	const password = randomBytes(18).toString('base64url');
	const admin = new pg.Client(adminConnection(database) as pg.ClientConfig);
	await admin.connect();
	try {
		// CREATE ROLE cannot take a bound parameter; the password is random, test-only, and never logged.
		const inRole = memberOf.length ? ` IN ROLE ${memberOf.map((r) => pg.escapeIdentifier(r)).join(', ')}` : '';
		await admin.query(`CREATE ROLE ${pg.escapeIdentifier(login)} LOGIN PASSWORD ${pg.escapeLiteral(password)}${inRole}`);
		if (opts.sessionRole) await admin.query(`ALTER ROLE ${pg.escapeIdentifier(login)} SET role = ${pg.escapeLiteral(opts.sessionRole)}`);
	} finally {
		await admin.end();
	}
	const a = adminConnection(database);
	const pool = new pg.Pool({ host: a.host, port: a.port, database, user: login, password, max: 2 });
	pool.on('error', () => undefined);
	return {
		pool,
		login,
		password,
		connection: postgresConnectionSchema.parse({ ...a, user: login, password, applicationName: prefix }),
		async drop() {
			await pool.end();
			const c = new pg.Client(adminConnection(database) as pg.ClientConfig);
			await c.connect();
			try {
				await c.query(`DROP OWNED BY ${pg.escapeIdentifier(login)} CASCADE`);
				await c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(login)}`);
			} finally {
				await c.end();
			}
		},
	};
}

/** The stage roles of docs/security.md: each node logs in as one. */
export type StageRole = 'dwh_etl' | 'dwh_transform' | 'dwh_pushback' | 'dwh_compliance' | 'dwh_readonly';

/** A node's documented login: member of the stage role, every session running as it (objects it creates belong to the role). */
export function stageLogin(database: string, role: StageRole): Promise<Login> {
	return createLogin(database, [role], `${role.replace(/^dwh_/, '')}_login`, { sessionRole: role });
}
