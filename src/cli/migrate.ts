#!/usr/bin/env node
import { migrateWarehouse } from '../control/migrate';
import { warehouseTarget, withTargetPool } from './warehouseUrl';
import { FLAG, VALUE, parseCommandLine, runCli } from './runCli';

const USAGE = `Usage: dwh-migrate (in a checkout: npm run dwh:migrate --) [--url postgres://user@host:5432/db] [--dry-run] [--dir <migrations dir>] [--skip-assertions]
  --url              warehouse URL (default: $DWH_WAREHOUSE_URL); the password is never printed
  --dry-run          verify checksums and list pending migrations; apply nothing
  --dir              migrations folder (default: the package's dwh-control-sql/migrations)
  --skip-assertions  do not run dwh_control.assert_all() after migrating`;

async function main(argv: string[]): Promise<number> {
	const parsed = parseCommandLine(argv, { url: VALUE, 'dry-run': FLAG, dir: VALUE, 'skip-assertions': FLAG }, USAGE);
	if (!parsed) return 0;
	const { values } = parsed;
	const target = warehouseTarget(values.url, 'dwh-migrate');
	return withTargetPool(target, async (pool) => {
		console.log(`warehouse ${target.display}`);
		// Applied files are printed as they commit (through log), so a failure later still shows what got in.
		const report = await migrateWarehouse(pool, { dir: values.dir, dryRun: values['dry-run'], log: (m) => console.log(m) });
		for (const f of report.skipped) console.log(`skipped  ${f} (already applied, checksum matches)`);
		// Baselined files (a squash whose replaced files are all recorded) were logged as they were recorded.
		const baselined = report.baselined.length > 0 ? `, ${report.baselined.length} baselined (recorded without running)` : '';
		if (report.dryRun) {
			for (const f of report.pending) console.log(`pending  ${f}`);
			console.log(`dry run: ${report.pending.length} pending, ${report.skipped.length} already applied${baselined}; nothing was changed`);
			return 0;
		}
		console.log(`${report.applied.length} applied, ${report.skipped.length} skipped${baselined}`);
		if (!values['skip-assertions']) {
			const { rows } = await pool.query<{ checked: number }>('SELECT dwh_control.assert_all() AS checked');
			console.log(`assertions ok: roles and grants in place, ${rows[0].checked} bronze table(s) have a key matching the registry`);
		}
		return 0;
	});
}

if (require.main === module) runCli(main, USAGE);
