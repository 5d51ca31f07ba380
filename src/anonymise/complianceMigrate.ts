import type pg from 'pg';
import { packageAsset } from '../config/packageAsset';
import { MigrationChecksumError, MigrationFailedError, readMigrations } from '../control/migrate';

/** The compliance migrations shipped with the package (dwh-control-sql/compliance). */
export function defaultComplianceDir(): string {
	return packageAsset('dwh-control-sql', 'compliance');
}

const LOCK_KEY: [number, number] = [0x64776863, 0x636f6d70]; // 'dwhc', 'comp'

/**
 * Migrates the compliance (vault) database: the warehouse's migrator cannot, because the vault is a separate
 * database with its own owner (design doc §6.3). Same contract as migrateWarehouse: name order, one transaction
 * per file together with its bookkeeping row, recorded checksums verified first.
 */
export async function migrateCompliance(pool: pg.Pool, dir = defaultComplianceDir()): Promise<string[]> {
	const files = readMigrations(dir);
	const client = await pool.connect();
	try {
		await client.query('SELECT pg_advisory_lock($1, $2)', LOCK_KEY);
		try {
			await client.query(`CREATE SCHEMA IF NOT EXISTS compliance;
				CREATE TABLE IF NOT EXISTS compliance.schema_migrations (
					file       text PRIMARY KEY,
					checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
					applied_at timestamptz NOT NULL DEFAULT now(),
					applied_by text NOT NULL DEFAULT session_user
				)`);
			const { rows } = await client.query<{ file: string; checksum: string }>('SELECT file, checksum FROM compliance.schema_migrations');
			const recorded = new Map(rows.map((r) => [r.file, r.checksum]));
			for (const f of files) {
				const r = recorded.get(f.file);
				if (r !== undefined && r !== f.checksum) throw new MigrationChecksumError(f.file, r, f.checksum);
			}
			const applied: string[] = [];
			for (const f of files.filter((x) => !recorded.has(x.file))) {
				try {
					await client.query('BEGIN');
					await client.query(f.sql);
					await client.query('INSERT INTO compliance.schema_migrations (file, checksum) VALUES ($1, $2)', [f.file, f.checksum]);
					await client.query('COMMIT');
				} catch (err) {
					await client.query('ROLLBACK').catch(() => undefined);
					throw new MigrationFailedError(f.file, err);
				}
				applied.push(f.file);
			}
			return applied;
		} finally {
			await client.query('SELECT pg_advisory_unlock($1, $2)', LOCK_KEY).catch(() => undefined);
		}
	} finally {
		client.release();
	}
}
