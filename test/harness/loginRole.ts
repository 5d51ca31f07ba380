import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { adminConnection } from './testEnv';

export interface Login {
	pool: pg.Pool;
	login: string;
	password: string;
	drop(): Promise<void>;
}

/**
 * A LOGIN role with a random password, member of `memberOf`, as a DBA sets up a documented login; returns a pool
 * connected as it to `database`. Privilege tests read and write through this, never through the superuser.
 */
export async function createLogin(database: string, memberOf: string[], prefix = 'test_login'): Promise<Login> {
	const login = `${prefix}_${randomBytes(3).toString('hex')}`;
	const password = randomBytes(18).toString('base64url');
	const admin = new pg.Client(adminConnection(database) as pg.ClientConfig);
	await admin.connect();
	try {
		// CREATE ROLE cannot take a bound parameter; the password is random, test-only, and never logged.
		const inRole = memberOf.length ? ` IN ROLE ${memberOf.map((r) => pg.escapeIdentifier(r)).join(', ')}` : '';
		await admin.query(`CREATE ROLE ${pg.escapeIdentifier(login)} LOGIN PASSWORD ${pg.escapeLiteral(password)}${inRole}`);
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
		async drop() {
			await pool.end();
			const c = new pg.Client(adminConnection(database) as pg.ClientConfig);
			await c.connect();
			try {
				await c.query(`DROP OWNED BY ${pg.escapeIdentifier(login)}`);
				await c.query(`DROP ROLE IF EXISTS ${pg.escapeIdentifier(login)}`);
			} finally {
				await c.end();
			}
		},
	};
}
