import pg from 'pg';

/** Where a CLI finds the warehouse: --url wins over DWH_WAREHOUSE_URL, so a one-off run never needs the env edited. */
export const WAREHOUSE_URL_ENV = 'DWH_WAREHOUSE_URL';

export class UsageError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UsageError';
	}
}

export interface WarehouseTarget {
	pool: pg.PoolConfig;
	/** The URL with its password replaced by ***: the only form that may be printed or logged. */
	display: string;
	/** Scrubs the password out of any text (driver errors can echo connection details). */
	redact(text: string): string;
}

export function warehouseTarget(url: string | undefined, applicationName: string): WarehouseTarget {
	const raw = url ?? process.env[WAREHOUSE_URL_ENV];
	if (!raw) throw new UsageError(`No warehouse: pass --url postgres://user@host:5432/data_warehouse or set ${WAREHOUSE_URL_ENV}.`);
	let parsed: URL;
	try {
		parsed = new URL(raw);
	} catch {
		// Never echo the value: it may hold a password.
		throw new UsageError(`The warehouse URL is not a valid URL (expected postgres://user:password@host:5432/database).`);
	}
	if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
		throw new UsageError(`The warehouse URL must start with postgres:// or postgresql://, not ${parsed.protocol}//.`);
	}
	// libpq also accepts secrets as query parameters (?password=…, ?sslpassword=…).
	const secrets = [parsed.password, safeDecode(parsed.password)];
	const shown = new URL(raw);
	if (shown.password) shown.password = '***';
	for (const name of ['password', 'sslpassword']) {
		const value = shown.searchParams.get(name);
		if (value) {
			secrets.push(value, encodeURIComponent(value));
			shown.searchParams.set(name, '***');
		}
	}
	const nonEmpty = [...new Set(secrets.filter((x) => x.length > 0))].sort((a, b) => b.length - a.length);
	return {
		// Two connections at most: a migration or a sync needs one, and the warehouse sits behind PgBouncer (§10.3).
		pool: { connectionString: raw, max: 2, application_name: applicationName, connectionTimeoutMillis: 15_000 },
		display: safeDecode(shown.toString()),
		redact: (text) => nonEmpty.reduce((t, secret) => t.split(secret).join('***'), text),
	};
}

function safeDecode(text: string): string {
	try {
		return decodeURIComponent(text);
	} catch {
		return text;
	}
}

/**
 * Runs a command's work on a small pool to the target and turns a failure into exit code 1 with the error printed
 * password-redacted (the driver can echo connection details). The pool is always closed.
 */
export async function withTargetPool(target: WarehouseTarget, work: (pool: pg.Pool) => Promise<number>): Promise<number> {
	const pool = new pg.Pool(target.pool);
	// An idle connection dropped by the server must not crash the command; the work's own query reports it.
	pool.on('error', () => undefined);
	try {
		return await work(pool);
	} catch (err) {
		console.error(target.redact(err instanceof Error ? err.message : String(err)));
		return 1;
	} finally {
		await pool.end();
	}
}
