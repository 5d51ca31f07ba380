import pg from 'pg';
import type { PostgresConnection } from '../config/connection.schema';
import { redactUserinfo } from '../privacy/redactUserinfo';
import { redactErrorText } from '../privacy/safeErrorText';

/**
 * Types kept as the server's text. timestamptz/timestamp through a JS Date lose microseconds, and a watermark that
 * is rounded down re-extracts rows while one rounded up skips them. int8/numeric are already text in node-postgres.
 */
const TEXT_TYPES = new Set<number>([pg.types.builtins.TIMESTAMPTZ, pg.types.builtins.TIMESTAMP, pg.types.builtins.DATE, pg.types.builtins.INTERVAL]);

const typeParsers = {
	getTypeParser(oid: number, format?: 'text' | 'binary') {
		if (TEXT_TYPES.has(oid)) return (value: string) => value;
		return pg.types.getTypeParser(oid, format);
	},
} as pg.CustomTypesConfig;

function sslOptions(conn: PostgresConnection): pg.PoolConfig['ssl'] {
	switch (conn.sslMode) {
		case 'disable':
			return false;
		case 'require':
			return { rejectUnauthorized: false };
		case 'verify-ca':
			// Chain is checked against the CA, the host name is not (libpq's verify-ca semantics).
			return { rejectUnauthorized: true, ca: conn.sslCa || undefined, checkServerIdentity: () => undefined };
		case 'verify-full':
			return { rejectUnauthorized: true, ca: conn.sslCa || undefined };
	}
}

export interface PoolOptions {
	/** Connect to this database instead of the credential's (one replica credential serves every source db). */
	database?: string;
	/** Appended to application_name so DBAs can tell extract, load and editor sessions apart in pg_stat_activity. */
	role?: string;
}

export function poolConfig(conn: PostgresConnection, opts: PoolOptions = {}): pg.PoolConfig {
	const applicationName = (opts.role ? `${conn.applicationName}:${opts.role}` : conn.applicationName).slice(0, 63);
	return {
		host: conn.host,
		port: conn.port,
		database: opts.database ?? conn.database,
		user: conn.user,
		password: conn.password,
		ssl: sslOptions(conn),
		max: conn.maxConnections,
		application_name: applicationName,
		statement_timeout: conn.statementTimeoutMs > 0 ? conn.statementTimeoutMs : undefined,
		// The watermark arithmetic assumes UTC for `timestamp without time zone` columns.
		options: '-c TimeZone=UTC',
		connectionTimeoutMillis: 15_000,
		idleTimeoutMillis: 10_000,
		types: typeParsers,
	};
}

export function createPool(conn: PostgresConnection, opts: PoolOptions = {}): pg.Pool {
	const pool = new pg.Pool(poolConfig(conn, opts));
	// An idle client losing its connection must not crash the n8n process; the next checkout reconnects.
	pool.on('error', () => undefined);
	// Nor may a checked-out one (pg-pool listens only while a client is idle): a connection that dies mid-query (a
	// replica restart, an extract whose upload failed closing its COPY) fails that query, and the caller releases the
	// client as broken. Without a listener the 'error' event would be unhandled and take n8n down.
	pool.on('connect', (client) => client.on('error', () => undefined));
	return pool;
}

export type ConnectionTestResult = { ok: true; serverVersion: string; inRecovery: boolean } | { ok: false; message: string };

/** Turns driver errors into a sentence that names what the user should change in the credential. */
export function describeConnectionError(err: unknown, conn: Pick<PostgresConnection, 'host' | 'port' | 'user' | 'database'>): string {
	const e = err as { code?: string; message?: string };
	// A host pasted as a URL (postgres://user:pw@h) must not carry its password into the message.
	const where = redactUserinfo(`${conn.host}:${conn.port}`);
	switch (e.code) {
		case 'ECONNREFUSED':
			return `Nothing is listening on ${where} — check Host and Port, and that the server is running.`;
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return `Host ${redactUserinfo(conn.host)} cannot be resolved — check Host.`;
		case 'ETIMEDOUT':
			return `Connecting to ${where} timed out — check Host, Port and the firewall / pg_hba.conf on the server.`;
		case '28P01':
			return `Password authentication failed for user "${conn.user}" — check User and Password.`;
		case '28000':
			return `The server refused user "${conn.user}" (pg_hba.conf) — check User, SSL Mode, and the server's pg_hba.conf.`;
		case '3D000':
			return `Database "${conn.database}" does not exist on ${where} — check Database.`;
		default:
			return `Could not connect to ${where}: ${redactErrorText(e.message ?? String(err))}`;
	}
}

export async function testPostgresConnection(conn: PostgresConnection): Promise<ConnectionTestResult> {
	const client = new pg.Client({ ...poolConfig(conn, { role: 'credential-test' }) });
	client.on('error', () => undefined);
	try {
		await client.connect();
		const { rows } = await client.query<{ version: string; in_recovery: boolean }>(
			"SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS in_recovery",
		);
		return { ok: true, serverVersion: rows[0].version, inRecovery: rows[0].in_recovery };
	} catch (err) {
		return { ok: false, message: describeConnectionError(err, conn) };
	} finally {
		await client.end().catch(() => undefined);
	}
}
