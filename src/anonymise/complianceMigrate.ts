import type pg from 'pg';
import { packageAsset } from '../config/packageAsset';
import { runMigrations, type MigrationSet } from '../control/migrate';

/**
 * The compliance (vault) database's migrations: the warehouse's migrator cannot apply them, because the vault is a
 * separate database with its own owner (design doc §6.3). Same runner and contract as migrateWarehouse (name order,
 * one transaction per file together with its history row, recorded checksums verified first); the history stays in
 * compliance.schema_migrations, under its own lock.
 */
export const COMPLIANCE_MIGRATIONS: MigrationSet = {
	folder: 'compliance',
	schema: 'compliance',
	recordsDuration: false,
	lockTag: 'comp',
	database: 'compliance database',
};

/** The compliance migrations shipped with the package (dwh-control-sql/compliance). */
export function defaultComplianceDir(): string {
	return packageAsset('dwh-control-sql', COMPLIANCE_MIGRATIONS.folder);
}

/** Applies the pending compliance migrations; returns the files applied, in order. */
export async function migrateCompliance(pool: pg.Pool, dir = defaultComplianceDir(), log?: (m: string) => void): Promise<string[]> {
	const report = await runMigrations(pool, COMPLIANCE_MIGRATIONS, { dir, log });
	return report.applied.map((a) => a.file);
}
