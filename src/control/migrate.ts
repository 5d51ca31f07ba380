import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { z } from 'zod';
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

/**
 * squashed.json in a migrations folder: the files a squashing migration replaces (a baseline, like Django's
 * squashmigrations `replaces = [...]` or a Flyway baseline), each with the sha256 it was released with. The replaced
 * files are no longer in the folder; their history rows stay. See runMigrations for what the runner does with them.
 */
export const SQUASH_MANIFEST = 'squashed.json';
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');
const migrationFileName = z.string().regex(MIGRATION_FILE, 'must be a migration file name (NNNN_snake_case.sql)');
export const squashManifestSchema = z
	.object({
		$comment: z.string().optional(),
		squashes: z.array(
			z
				.object({
					/** The squashing migration, in the same folder. */
					file: migrationFileName,
					/** Every file it replaces, in name order, with its released checksum. */
					replaces: z.array(z.object({ file: migrationFileName, sha256: sha256Hex }).strict()).min(1),
				})
				.strict(),
		),
	})
	.strict();
export type SquashManifest = z.output<typeof squashManifestSchema>;
export type Squash = SquashManifest['squashes'][number];

/** The folder's squashed.json, or no squashes when it has none (the compliance set). */
export function readSquashManifest(dir: string): SquashManifest {
	const file = path.join(dir, SQUASH_MANIFEST);
	if (!existsSync(file)) return { squashes: [] };
	const parsed = squashManifestSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
	if (!parsed.success) {
		throw new Error(`${file} is not a valid squash manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
	}
	return parsed.data;
}

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
	/**
	 * Squashing files recorded without running them, because the warehouse had applied every file they replace (with
	 * the manifest's checksums): it is already in the state they create. On a dry run: the ones that would be.
	 */
	baselined: string[];
	/**
	 * Recorded in schema_migrations but no longer in the folder (reported, never an error: history stays). Files a
	 * squash in the folder replaces are not listed: the squash accounts for them.
	 */
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

/**
 * A warehouse that recorded some, not all, of the files a squash replaces (part-way through the old chain), or one of
 * them with another checksum than the one released: the squash can neither run (the objects it creates exist) nor
 * stand for what was applied. Nothing has run when this is thrown.
 */
export class MigrationSquashError extends Error {
	constructor(readonly squash: string, readonly lastApplied: string, readonly problem: 'partial' | 'checksum', detail: string, lastReplaced: string) {
		super(
			problem === 'partial'
				? `Cannot apply ${squash}: this database is part-way through the migrations it replaces (${detail}); the last one it applied is ${lastApplied}. ` +
						`Upgrade it first with the previous version of the package (its migrations run up to ${lastReplaced}), then migrate again with this version, ` +
						`which records ${squash} as applied without running it.`
				: `Cannot apply ${squash}: ${detail}, so the baseline cannot stand for what was applied (the last replaced file applied is ${lastApplied}). ` +
						'Applied migrations are immutable: find out how that file was changed before it was applied, and bring the database to the released state of the previous package version by hand.',
		);
		this.name = 'MigrationSquashError';
	}
}

/**
 * How each squash in the folder meets the history: 'apply' (none of its files recorded: a new database), 'baseline'
 * (all recorded with the released checksums) or 'recorded' (the squash itself is). Throws MigrationSquashError for
 * anything else, before anything runs.
 */
function planSquashes(squashes: Squash[], files: MigrationFile[], recorded: Map<string, string>): Map<string, 'apply' | 'baseline' | 'recorded'> {
	const plan = new Map<string, 'apply' | 'baseline' | 'recorded'>();
	const inDir = new Set(files.map((f) => f.file));
	for (const sq of squashes) {
		if (!inDir.has(sq.file)) throw new Error(`${SQUASH_MANIFEST} names ${sq.file}, which is not in the migrations folder`);
		const stillThere = sq.replaces.filter((r) => inDir.has(r.file));
		if (stillThere.length > 0) {
			throw new Error(
				`${SQUASH_MANIFEST}: ${sq.file} replaces ${stillThere
					.map((r) => r.file)
					.join(', ')}, still in the migrations folder: delete them (git history keeps them)`,
			);
		}
		if (recorded.has(sq.file)) {
			plan.set(sq.file, 'recorded');
			continue;
		}
		const applied = sq.replaces.filter((r) => recorded.has(r.file));
		if (applied.length === 0) {
			plan.set(sq.file, 'apply');
			continue;
		}
		const last = applied[applied.length - 1].file;
		const lastReplaced = sq.replaces[sq.replaces.length - 1].file;
		const differs = applied.find((r) => recorded.get(r.file) !== r.sha256);
		if (differs) {
			throw new MigrationSquashError(
				sq.file,
				last,
				'checksum',
				`${differs.file} was recorded with sha256 ${recorded.get(differs.file)}, but the released file's is ${differs.sha256}`,
				lastReplaced,
			);
		}
		if (applied.length < sq.replaces.length) {
			const missing = sq.replaces.filter((r) => !recorded.has(r.file)).map((r) => r.file);
			throw new MigrationSquashError(
				sq.file,
				last,
				'partial',
				`${applied.length} of ${sq.replaces.length} applied; not applied: ${missing.join(', ')}`,
				lastReplaced,
			);
		}
		plan.set(sq.file, 'baseline');
	}
	return plan;
}

function isPoolClient(db: pg.Pool | pg.PoolClient): db is pg.PoolClient {
	return typeof (db as pg.PoolClient).release === 'function';
}

/**
 * Applies dwh-control-sql/migrations/*.sql in name order, each in its own transaction together with its
 * schema_migrations row, so a file is either fully applied and recorded or not at all.
 * Every recorded checksum is verified before anything runs: an edited file stops the whole migration.
 * The folder starts with a baseline that replaces 0001..0190 (squashed.json): see runMigrations.
 */
export async function migrateWarehouse(db: pg.Pool | pg.PoolClient, opts: MigrateOptions = {}): Promise<MigrateReport> {
	return runMigrations(db, WAREHOUSE_MIGRATIONS, opts);
}

/** The lock of a set: ('dwhc', its tag) as two int4 halves, e.g. 0x64776863, 0x6d696772 for 'migr'. */
export function migrationLock(set: MigrationSet): AdvisoryLockKey {
	return numericKey(Buffer.from('dwhc').readInt32BE(0), Buffer.from(set.lockTag, 'latin1').readInt32BE(0));
}

/**
 * The one migration runner: `set`'s files in name order, one transaction per file with its history row.
 * A file the folder's squashed.json lists as squashing others is applied like any file on a database that recorded
 * none of the files it replaces; on one that recorded all of them, with the released checksums, it is recorded
 * without running (`baselined`: the database is already in the state it creates); anything in between is refused
 * (MigrationSquashError) before anything runs.
 */
export async function runMigrations(db: pg.Pool | pg.PoolClient, set: MigrationSet, opts: MigrateOptions = {}): Promise<MigrateReport> {
	const dir = opts.dir ?? packageAsset('dwh-control-sql', set.folder);
	const log = opts.log ?? (() => undefined);
	const files = readMigrations(dir);
	const squashes = readSquashManifest(dir).squashes;
	const client = isPoolClient(db) ? db : await db.connect();
	let broken = false;
	try {
		return await withAdvisoryLock(client, migrationLock(set), () => migrateLocked(client, set, files, squashes, log, opts.dryRun ?? false), {
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
	squashes: Squash[],
	log: (m: string) => void,
	dryRun: boolean,
): Promise<MigrateReport> {
	const recorded = await readRecorded(client, set, dryRun);
	const inDir = new Set(files.map((f) => f.file));
	for (const f of files) {
		const r = recorded.get(f.file);
		if (r !== undefined && r !== f.checksum) throw new MigrationChecksumError(f.file, r, f.checksum);
	}
	const plan = planSquashes(squashes, files, recorded);
	const replaced = new Set(squashes.flatMap((sq) => sq.replaces.map((r) => r.file)));
	const pending = files.filter((f) => !recorded.has(f.file));
	const report: MigrateReport = {
		applied: [],
		skipped: files.filter((f) => recorded.has(f.file)).map((f) => f.file),
		pending: [],
		baselined: [],
		missingFromDir: [...recorded.keys()].filter((f) => !inDir.has(f) && !replaced.has(f)).sort(),
		dryRun,
	};
	for (const f of report.missingFromDir) log(`warning: ${f} is recorded as applied but is not in the migrations folder`);
	for (const f of pending) {
		const m = TRANSACTION_CONTROL.exec(f.sql);
		if (m) throw new MigrationTransactionControlError(f.file, m[0]);
	}
	const isBaseline = (f: MigrationFile) => plan.get(f.file) === 'baseline';
	if (dryRun) {
		report.pending = pending.filter((f) => !isBaseline(f)).map((f) => f.file);
		report.baselined = pending.filter(isBaseline).map((f) => f.file);
		for (const f of report.baselined) log(`baseline ${f}: every file it replaces is recorded; it would be recorded without running`);
		return report;
	}
	const history = set.recordsDuration
		? `INSERT INTO ${set.schema}.schema_migrations (file, checksum, duration_ms) VALUES ($1, $2, $3)`
		: `INSERT INTO ${set.schema}.schema_migrations (file, checksum) VALUES ($1, $2)`;
	for (const f of pending) {
		if (isBaseline(f)) {
			// Recorded, not run: the history rows of the files it replaces show this database reached its state.
			// duration_ms stays NULL (nothing ran); applied_by is the column default, session_user.
			await client.query(history, set.recordsDuration ? [f.file, f.checksum, null] : [f.file, f.checksum]);
			report.baselined.push(f.file);
			log(`baseline ${f.file}: every file it replaces was applied with the released checksum; recorded without running`);
			continue;
		}
		const started = Date.now();
		try {
			await inTransaction(client, async () => {
				// A pool built for extracts may carry a statement_timeout sized for queries, not for DDL on big tables.
				await client.query('SET LOCAL statement_timeout = 0');
				await client.query(f.sql);
				// applied_by is the column default: session_user.
				await client.query(history, set.recordsDuration ? [f.file, f.checksum, Date.now() - started] : [f.file, f.checksum]);
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
