import type pg from 'pg';
import { bronzeTableName } from '../../src/config/registry.schema';
import { migrateWarehouse } from '../../src/control/migrate';
import { defaultRegistryPath, loadRegistryFile, syncRegistry } from '../../src/control/registrySync';

/** Applies dwh-control-sql/migrations exactly as `npm run dwh:migrate` does; returns lines to print. */
export async function migrateDemoWarehouse(wh: pg.Pool): Promise<string[]> {
	const report = await migrateWarehouse(wh);
	return [`migrations applied: ${report.applied.map((a) => a.file).join(', ') || '(none)'}`];
}

/**
 * Syncs the package's registry file as `npm run dwh:registry-sync` does, with every table outside the demo's
 * synthetic source databases disabled: the demo has no source database for them (apps_db, kiffstore_db, …).
 */
export async function syncDemoRegistry(wh: pg.Pool, sourceDbs: string[]): Promise<string[]> {
	const registry = loadRegistryFile();
	const tables = registry.tables.map((t) => ({ ...t, enabled: t.enabled && sourceDbs.includes(t.source_db) }));
	const report = await syncRegistry(wh, { ...registry, tables });
	const enabled = tables.filter((t) => t.enabled).map(bronzeTableName);
	return [
		`registry ${report.version} (${defaultRegistryPath().replace(`${process.cwd()}/`, '')}): ${report.added.length} tables registered, ` +
			`${enabled.length} enabled for the demo (${sourceDbs.join(', ')}), the other ${tables.length - enabled.length} disabled`,
	];
}
