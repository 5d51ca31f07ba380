import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { packageAsset } from '../config/packageAsset';
import { numericKey, withAdvisoryLock, type AdvisoryLockKey } from '../transport/advisoryLock';
import { inTransaction } from '../transport/transaction';

/** The migrations shipped with the package (dwh-control-sql/migrations). */
export function defaultMigrationsDir(): string {
	return packageAsset('dwh-control-sql', WAREHOUSE_MIGRATIONS.folder);
}

/** NNNN_snake_case.sql — anything else in the folder (README, editor backups) is ignored, never applied. */
export const MIGRATION_FILE = /^\d{4}_[a-z0-9_]+\.sql$/;

/**
 * One set of migrations: its folder, where its history lives, and its lock. The warehouse's and the compliance
 * vault's (src/anonymise/complianceMigrate.ts) run through the same runner; each keeps its own history table and
 * lock, so the checksums recorded before the runners were merged stay valid.
 */
export interface MigrationSet {
	/** The folder under dwh-control-sql/ shipped with the package. */
	folder: string;
	/** The schema holding the history (`<schema>.schema_migrations`), created with it on first use. */
	schema: string;
	/** Whether the history has the duration_ms column (the warehouse's does; the vault's was created without it). */
	recordsDuration: boolean;
	/**
	 * Second half of the lock key, four ASCII letters ('dwhc' is the first): who runs the set waits for anyone else
	 * running it (per database: advisory locks are scoped to one).
	 */
	lockTag: string;
	/** The database it migrates, as the log names it. */
	database: string;
}

/**
 * The warehouse's migrations. Both halves of the advisory lock key are constants: advisory locks are scoped to the
 * current database, so migrators of different warehouses on one cluster never wait for each other, while two
 * migrators of the same warehouse queue.
 */
export const WAREHOUSE_MIGRATIONS: MigrationSet = {
	folder: 'migrations',
	schema: 'dwh_control',
	recordsDuration: true,
	lockTag: 'migr',
	database: 'warehouse',
};

export interface MigrationFile {
	file: string;
	checksum: string;
	sql: string;
}

export interface AppliedMigration {
	file: string;
	checksum: string;
	durationMs: number;
}

export interface MigrateReport {
	/** Files applied by this call, in order. Empty on a dry run. */
	applied: AppliedMigration[];
	/** Files already recorded with the same checksum. */
	skipped: string[];
	/** Files not yet applied: on a dry run the ones that would be applied; otherwise always empty. */
	pending: string[];
	/** Recorded in schema_migrations but no longer in the folder (reported, never an error: history stays). */
	missingFromDir: string[];
	dryRun: boolean;
}

export interface MigrateOptions {
	dir?: string;
	log?: (m: string) => void;
	/** Verify checksums and list pending files without applying anything. */
	dryRun?: boolean;
}

export class MigrationChecksumError extends Error {
	constructor(readonly file: string, readonly recorded: string, readonly current: string) {
		super(
			`Migration ${file} was edited after it was applied (recorded sha256 ${recorded}, file now ${current}). ` +
				'Applied migrations are immutable: restore the file and put the change in a new, higher-numbered migration.',
		);
		this.name = 'MigrationChecksumError';
	}
}

export class MigrationFailedError extends Error {
	constructor(readonly file: string, cause: unknown) {
		const e = cause as { message?: string; position?: string; where?: string };
		const at = e.position ? ` (at character ${e.position})` : '';
		super(`Migration ${file} failed and was rolled back${at}: ${e.message ?? String(cause)}`);
		this.name = 'MigrationFailedError';
		this.cause = cause;
	}
}

/** Lines that would end the migrator's own transaction half-way through a file (plpgsql's BEGIN has no semicolon). */
const TRANSACTION_CONTROL = /^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END\s+TRANSACTION)\s*;/im;

export class MigrationTransactionControlError extends Error {
	constructor(readonly file: string, statement: string) {
		super(
			`Migration ${file} controls its own transaction (${statement.trim()}): remove it — every migration already runs in exactly one transaction with its schema_migrations row.`,
		);
		this.name = 'MigrationTransactionControlError';
	}
}

export function checksumOf(sql: string | Buffer): string {
	return createHash('sha256').update(sql).digest('hex');
}

/** The folder's migrations in name order (which is number order: the names are zero-padded). */
export function readMigrations(dir: string): MigrationFile[] {
	return readdirSync(dir)
		.filter((f) => MIGRATION_FILE.test(f))
		.sort()
		.map((file) => {
			const bytes = readFileSync(path.join(dir, file));
			return { file, checksum: checksumOf(bytes), sql: bytes.toString('utf8') };
		});
}

function isPoolClient(db: pg.Pool | pg.PoolClient): db is pg.PoolClient {
	return typeof (db as pg.PoolClient).release === 'function';
}

/**
 * Applies dwh-control-sql/migrations/*.sql in name order, each in its own transaction together with its
 * schema_migrations row, so a file is either fully applied and recorded or not at all.
 * Every recorded checksum is verified before anything runs: an edited file stops the whole migration.
 */
export async function migrateWarehouse(db: pg.Pool | pg.PoolClient, opts: MigrateOptions = {}): Promise<MigrateReport> {
	return runMigrations(db, WAREHOUSE_MIGRATIONS, opts);
}

/** The lock of a set: ('dwhc', its tag) as two int4 halves, e.g. 0x64776863, 0x6d696772 for 'migr'. */
export function migrationLock(set: MigrationSet): AdvisoryLockKey {
	return numericKey(Buffer.from('dwhc').readInt32BE(0), Buffer.from(set.lockTag, 'latin1').readInt32BE(0));
}

/** The one migration runner: `set`'s files in name order, one transaction per file with its history row. */
export async function runMigrations(db: pg.Pool | pg.PoolClient, set: MigrationSet, opts: MigrateOptions = {}): Promise<MigrateReport> {
	const dir = opts.dir ?? packageAsset('dwh-control-sql', set.folder);
	const log = opts.log ?? (() => undefined);
	const files = readMigrations(dir);
	const client = isPoolClient(db) ? db : await db.connect();
	let broken = false;
	try {
		return await withAdvisoryLock(client, migrationLock(set), () => migrateLocked(client, set, files, log, opts.dryRun ?? false), {
			onWait: () => log(`another migrator is running on this ${set.database}; waiting for it to finish`),
			onUnlockFailed: () => (broken = true),
		});
	} finally {
		if (!isPoolClient(db)) client.release(broken);
	}
}

async function migrateLocked(
	client: pg.PoolClient,
	set: MigrationSet,
	files: MigrationFile[],
	log: (m: string) => void,
	dryRun: boolean,
): Promise<MigrateReport> {
	const recorded = await readRecorded(client, set, dryRun);
	const inDir = new Set(files.map((f) => f.file));
	for (const f of files) {
		const r = recorded.get(f.file);
		if (r !== undefined && r !== f.checksum) throw new MigrationChecksumError(f.file, r, f.checksum);
	}
	const report: MigrateReport = {
		applied: [],
		skipped: files.filter((f) => recorded.has(f.file)).map((f) => f.file),
		pending: [],
		missingFromDir: [...recorded.keys()].filter((f) => !inDir.has(f)).sort(),
		dryRun,
	};
	for (const f of report.missingFromDir) log(`warning: ${f} is recorded as applied but is not in the migrations folder`);
	const pending = files.filter((f) => !recorded.has(f.file));
	for (const f of pending) {
		const m = TRANSACTION_CONTROL.exec(f.sql);
		if (m) throw new MigrationTransactionControlError(f.file, m[0]);
	}
	if (dryRun) {
		report.pending = pending.map((f) => f.file);
		return report;
	}
	for (const f of pending) {
		const started = Date.now();
		try {
			await inTransaction(client, async () => {
				// A pool built for extracts may carry a statement_timeout sized for queries, not for DDL on big tables.
				await client.query('SET LOCAL statement_timeout = 0');
				await client.query(f.sql);
				// applied_by is the column default: session_user.
				await client.query(
					set.recordsDuration
						? `INSERT INTO ${set.schema}.schema_migrations (file, checksum, duration_ms) VALUES ($1, $2, $3)`
						: `INSERT INTO ${set.schema}.schema_migrations (file, checksum) VALUES ($1, $2)`,
					set.recordsDuration ? [f.file, f.checksum, Date.now() - started] : [f.file, f.checksum],
				);
			});
		} catch (err) {
			throw new MigrationFailedError(f.file, err);
		}
		const durationMs = Date.now() - started;
		report.applied.push({ file: f.file, checksum: f.checksum, durationMs });
		log(`applied  ${f.file} (${durationMs} ms)`);
	}
	return report;
}

/** Creates the bookkeeping table on first use (a dry run only reads it, so it never writes to the database). */
async function readRecorded(client: pg.PoolClient, set: MigrationSet, dryRun: boolean): Promise<Map<string, string>> {
	const history = `${set.schema}.schema_migrations`;
	if (!dryRun) {
		await client.query(`CREATE SCHEMA IF NOT EXISTS ${set.schema};
			CREATE TABLE IF NOT EXISTS ${history} (
				file        text PRIMARY KEY,
				checksum    text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
				applied_at  timestamptz NOT NULL DEFAULT now(),
				applied_by  text NOT NULL DEFAULT session_user${set.recordsDuration ? ', duration_ms integer' : ''}
			)`);
	} else {
		const { rows } = await client.query<{ t: string | null }>(`SELECT to_regclass($1)::text AS t`, [history]);
		if (!rows[0].t) return new Map();
	}
	const { rows } = await client.query<{ file: string; checksum: string }>(`SELECT file, checksum FROM ${history}`);
	return new Map(rows.map((r) => [r.file, r.checksum]));
}
