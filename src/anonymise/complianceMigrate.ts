import type pg from 'pg';
import { packageAsset } from '../config/packageAsset';
import { runMigrations, type MigrationSet } from '../control/migrate';
import { numericKey } from '../transport/advisoryLock';

/**
 * The compliance (vault) database's migrations: the warehouse's migrator cannot apply them, because the vault is a
 * separate database with its own owner (design doc §6.3). Same runner and contract as migrateWarehouse (name order,
 * one transaction per file together with its history row, recorded checksums verified first); the history stays in
 * compliance.schema_migrations, under its own lock.
 */
export const COMPLIANCE_MIGRATIONS: MigrationSet = {
	defaultDir: () => packageAsset('dwh-control-sql', 'compliance'),
	schema: 'compliance',
	createHistory: `CREATE TABLE IF NOT EXISTS compliance.schema_migrations (
					file       text PRIMARY KEY,
					checksum   text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
					applied_at timestamptz NOT NULL DEFAULT now(),
					applied_by text NOT NULL DEFAULT session_user
				)`,
	record: (f) => ({ text: 'INSERT INTO compliance.schema_migrations (file, checksum) VALUES ($1, $2)', values: [f.file, f.checksum] }),
	lock: numericKey(0x64776863, 0x636f6d70), // 'dwhc', 'comp'
	busyMessage: 'another migrator is running on this compliance database; waiting for it to finish',
};

/** The compliance migrations shipped with the package (dwh-control-sql/compliance). */
export function defaultComplianceDir(): string {
	return COMPLIANCE_MIGRATIONS.defaultDir();
}

/** Applies the pending compliance migrations; returns the files applied, in order. */
export async function migrateCompliance(pool: pg.Pool, dir = defaultComplianceDir(), log?: (m: string) => void): Promise<string[]> {
	const report = await runMigrations(pool, COMPLIANCE_MIGRATIONS, { dir, log });
	return report.applied.map((a) => a.file);
}
