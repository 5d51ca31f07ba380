import { formatSyncReport } from '../../../src/cli/registry-sync';

test('the sync report prints every change field by field and a one-line summary', () => {
	expect(
		formatSyncReport({
			version: '2026.11.25-2',
			dryRun: true,
			added: ['panik_db__alerts'],
			changed: [
				{
					table: 'auth_db__users',
					changes: [
						{ field: 'cadence', from: '00:15:00', to: '00:30:00' },
						{ field: 'excluded_columns', from: [], to: ['password_hash'] },
					],
				},
			],
			unchanged: ['a__b', 'c__d'],
			removed: [
				{ table: 'wolverine_db__deploys', action: 'disabled' },
				{ table: 'old_db__x', action: 'already_disabled' },
			],
			warnings: ['auth_db__users: newly excluded password_hash stay in raw.auth_db__users …'],
		}),
	).toEqual([
		'added       panik_db__alerts',
		'changed     auth_db__users',
		'              cadence: "00:15:00" -> "00:30:00"',
		'              excluded_columns: [] -> ["password_hash"]',
		'disabled    wolverine_db__deploys (not in the file; kept with its runs and watermark)',
		'not in file old_db__x (already disabled)',
		'warning     auth_db__users: newly excluded password_hash stay in raw.auth_db__users …',
		'registry 2026.11.25-2: 1 added, 1 changed, 2 unchanged, 1 disabled (dry run: nothing was written)',
	]);
});
