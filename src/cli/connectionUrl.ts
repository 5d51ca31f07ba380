import { postgresConnectionSchema, sslModes, type PostgresConnection } from '../config/connection.schema';
import { UsageError } from './warehouseUrl';

/**
 * A postgres:// URL as the connection settings the pipeline's pools take (host, port, database, user, password,
 * sslmode), for commands that run pipeline code outside n8n. `what` names the option in errors; the URL itself is
 * never echoed (it may hold a password).
 */
export function connectionFromUrl(
	url: string,
	what: string,
	extra: { maxConnections?: number; statementTimeoutMs?: number; applicationName: string },
): PostgresConnection {
	let u: URL;
	try {
		u = new URL(url);
	} catch {
		throw new UsageError(`${what} is not a valid URL (expected postgres://user:password@host:5432/database).`);
	}
	if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
		throw new UsageError(`${what} must start with postgres:// or postgresql://, not ${u.protocol}//.`);
	const sslmode = u.searchParams.get('sslmode') ?? 'disable';
	if (!(sslModes as readonly string[]).includes(sslmode)) throw new UsageError(`${what}: sslmode must be one of ${sslModes.join(', ')}.`);
	const parsed = postgresConnectionSchema.safeParse({
		host: decodeURIComponent(u.hostname),
		port: u.port || 5432,
		database: decodeURIComponent(u.pathname.replace(/^\//, '')) || 'postgres',
		user: decodeURIComponent(u.username),
		password: decodeURIComponent(u.password || u.searchParams.get('password') || ''),
		sslMode: sslmode,
		...(extra.maxConnections !== undefined ? { maxConnections: extra.maxConnections } : {}),
		...(extra.statementTimeoutMs !== undefined ? { statementTimeoutMs: extra.statementTimeoutMs } : {}),
		applicationName: extra.applicationName,
	});
	if (!parsed.success) throw new UsageError(`${what}: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
	return parsed.data;
}
