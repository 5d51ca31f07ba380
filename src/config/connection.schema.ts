import { z } from 'zod';

export const sslModes = ['disable', 'require', 'verify-ca', 'verify-full'] as const;

/** Connection settings shared by the source replica, the warehouse and analytics_db (the n8n Postgres credential). */
export const postgresConnectionSchema = z.object({
	host: z.string().min(1, 'host is required'),
	port: z.coerce.number().int().min(1).max(65535).default(5432),
	database: z.string().min(1, 'database is required'),
	user: z.string().min(1, 'user is required'),
	password: z.string().default(''),
	sslMode: z.enum(sslModes).default('disable'),
	/** PEM text of the CA certificate; needed for verify-ca / verify-full against a private CA. */
	sslCa: z.string().default(''),
	/** Design doc §10.3: at most 4 parallel connections per ETL job through PgBouncer. */
	maxConnections: z.coerce.number().int().min(1).max(64).default(4),
	/** Milliseconds; 0 disables. Applied server-side as statement_timeout. */
	statementTimeoutMs: z.coerce.number().int().min(0).default(0),
	applicationName: z.string().max(63).default('n8n-dataacuity'),
});
export type PostgresConnection = z.output<typeof postgresConnectionSchema>;
export type PostgresConnectionInput = z.input<typeof postgresConnectionSchema>;

/** MinIO / S3 settings (the n8n object-store credential). */
export const objectStoreSchema = z.object({
	endpoint: z
		.string()
		.url('endpoint must be a URL such as http://127.0.0.1:9000')
		.optional()
		.or(z.literal('').transform(() => undefined)),
	region: z.string().min(1).default('us-east-1'),
	accessKeyId: z.string().min(1, 'accessKeyId is required'),
	secretAccessKey: z.string().min(1, 'secretAccessKey is required'),
	bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'bucket must be a valid S3 bucket name (lower case, 3-63 chars)'),
	/** Project folder inside the bucket, e.g. "dataacuity". exports/ and processed/ live under it. */
	prefix: z
		.string()
		.default('dataacuity')
		.transform((p) => p.replace(/^\/+|\/+$/g, ''))
		.refine((p) => !p.split('/').some((seg) => seg === '..' || seg === '.'), 'prefix must not contain . or .. segments'),
	forcePathStyle: z.boolean().default(true),
	/**
	 * The AWS SDK adds CRC32 request checksums by default since 3.729; some S3-compatible servers reject them.
	 * 'when_required' is the portable choice; 'when_supported' is the SDK default.
	 */
	checksumMode: z.enum(['when_required', 'when_supported']).default('when_required'),
});
export type ObjectStoreConfig = z.output<typeof objectStoreSchema>;
export type ObjectStoreConfigInput = z.input<typeof objectStoreSchema>;
