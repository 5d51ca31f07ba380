import { inputRelation, outputTableName, saltTypesOf, type PolicyTable } from './policy.schema';
import type { LoadedPolicy } from './policyLoader';
import { anonymiseTablesAtomically, INTERMEDIATE_SCHEMA, relationColumns, type AnonymiseDeps, type AnonymiseResult } from './runner';
import { activateSalt, activeSaltVersion } from './saltVersions';
import { latestSaltVersion, saltFor } from './secrets.schema';

export interface RotateSaltOptions {
	saltType: string;
	/** Every policy (all sources): each table hashing with the salt type is re-keyed. */
	policies: LoadedPolicy[];
	/** Defaults to the newest version in the credential. */
	toVersion?: number;
	asOf?: string;
}

export interface RotateSaltResult {
	saltType: string;
	fromVersion: number | null;
	toVersion: number;
	rebuilt: AnonymiseResult[];
	/** Tables that use the salt but have no input relation yet (nothing to re-key). */
	skipped: string[];
}

/**
 * Annual salt rotation (design doc §6.2): activates a new salt version and rebuilds every intermediate table that
 * hashes with it, all in one transaction — so every table is on the new salt or none is, and joins across tables
 * keep working. Joins with outputs made before the rotation are broken on purpose.
 */
export async function rotateSalt(deps: AnonymiseDeps, opts: RotateSaltOptions): Promise<RotateSaltResult> {
	const toVersion = opts.toVersion ?? latestSaltVersion(deps.secrets.salts, opts.saltType);
	if (toVersion === null)
		throw new Error(`The anonymisation-secrets credential has no "${opts.saltType}" salt to rotate to — add a new version to Salts first`);
	const target = saltFor(deps.secrets.salts, opts.saltType, toVersion);
	const fromVersion = await activeSaltVersion(deps.warehouse, opts.saltType);
	if (fromVersion !== null && toVersion <= fromVersion) {
		throw new Error(
			`Salt "${opts.saltType}" is already at version ${fromVersion}; add version ${
				fromVersion + 1
			} to Salts in the anonymisation-secrets credential, then rotate`,
		);
	}

	const jobs: { loaded: LoadedPolicy; table: PolicyTable }[] = [];
	const skipped: string[] = [];
	for (const loaded of opts.policies) {
		for (const table of loaded.policy.tables) {
			if (!saltTypesOf(table).includes(opts.saltType)) continue;
			const rel = inputRelation(loaded.policy.source_db, table);
			if (await relationColumns(deps.warehouse, rel)) jobs.push({ loaded, table });
			else skipped.push(`${rel.schema}.${rel.table}`);
		}
	}

	const rebuilt = await anonymiseTablesAtomically(deps, jobs, {
		asOf: opts.asOf,
		mode: 'rotation',
		saltOverride: new Map([[opts.saltType, target]]),
		async beforeCommit(client) {
			await activateSalt(client, target);
			await client.query(
				`INSERT INTO dwh_control.salt_rotations (salt_type, from_version, to_version, tables_rebuilt, n8n_execution_id) VALUES ($1, $2, $3, $4, $5)`,
				[
					opts.saltType,
					fromVersion,
					toVersion,
					jobs.map((j) => `${INTERMEDIATE_SCHEMA}.${outputTableName(j.loaded.policy.source_db, j.table)}`),
					deps.executionId ?? null,
				],
			);
		},
	});
	return { saltType: opts.saltType, fromVersion, toVersion, rebuilt, skipped };
}
