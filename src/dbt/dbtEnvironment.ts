import type { PostgresConnection } from '../config/connection.schema';
import type { DbtCoreConfig } from './coreConfig.schema';

/** Always passed: what Python and dbt need to start, and dbt's own settings. */
const BASE_PASSTHROUGH = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'VIRTUAL_ENV', 'PYTHONPATH', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE'];
const PASSTHROUGH_PREFIXES = ['DBT_', 'DWH_DBT_'];

/**
 * The child's environment is built from an allow-list, not a copy of n8n's: n8n's own secrets
 * (N8N_ENCRYPTION_KEY, database passwords) have no business inside a dbt project that can read any variable
 * with env_var().
 */
export function dbtEnvironment(cfg: DbtCoreConfig, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [k, v] of Object.entries(parent)) {
		if (v === undefined) continue;
		if (BASE_PASSTHROUGH.includes(k) || cfg.envPassthrough.includes(k) || PASSTHROUGH_PREFIXES.some((p) => k.startsWith(p))) env[k] = v;
	}
	env.DBT_SEND_ANONYMOUS_USAGE_STATS = 'false';
	env.DBT_VERSION_CHECK = 'false';
	env.PYTHONUNBUFFERED = '1';
	if (cfg.connectionSource === 'credential' && cfg.warehouse) Object.assign(env, connectionEnv(cfg.warehouse, cfg.defaultSchema));
	return env;
}

/** The variables the shipped profiles.yml reads. The password's name makes dbt scrub it from logs and artifacts. */
export function connectionEnv(c: PostgresConnection, schema: string): Record<string, string> {
	return {
		DWH_DBT_HOST: c.host,
		DWH_DBT_PORT: String(c.port),
		DWH_DBT_DATABASE: c.database,
		DWH_DBT_USER: c.user,
		DBT_ENV_SECRET_DWH_PASSWORD: c.password,
		DWH_DBT_SSLMODE: c.sslMode,
		DWH_DBT_SCHEMA: schema,
		DWH_DBT_THREADS: String(Math.min(c.maxConnections, 4)),
		DWH_DBT_APPLICATION_NAME: `${c.applicationName}:dbt`.slice(0, 63),
	};
}

/** The same connection read back from the environment, for connectionSource "environment" (used for the lock). */
export function connectionFromEnv(env: NodeJS.ProcessEnv): Partial<PostgresConnection> | null {
	if (!env.DWH_DBT_HOST || !env.DWH_DBT_DATABASE || !env.DWH_DBT_USER) return null;
	return {
		host: env.DWH_DBT_HOST,
		port: Number(env.DWH_DBT_PORT ?? 5432),
		database: env.DWH_DBT_DATABASE,
		user: env.DWH_DBT_USER,
		password: env.DBT_ENV_SECRET_DWH_PASSWORD ?? '',
	};
}
