import { z } from 'zod';
import { postgresConnectionSchema } from '../config/connection.schema';
import { dbtSchemaProblem } from '../config/writeTargets';

/**
 * Where and how dbt Core runs: everything the DataAcuity dbt credential holds for the CLI backend. The warehouse
 * connection is handed to dbt through environment variables that the shipped profiles.yml reads (never argv,
 * which `ps` shows), and the same connection holds the project lock.
 */
export const dbtCoreConfigSchema = z
	.object({
		/** Path of the dbt executable; empty = DWH_DBT_BIN, then <package>/.venv/bin/dbt, then `dbt` on PATH. */
		dbtBin: z.string().default(''),
		/** Words put before the dbt executable, e.g. `docker exec -i dbt_transform`; split without a shell. */
		commandPrefix: z.string().default(''),
		/** dbt project directory; empty = the reference project shipped in the pack (dbt/). */
		projectDir: z.string().default(''),
		/** Directory holding profiles.yml; empty = the project directory. */
		profilesDir: z.string().default(''),
		/** Root of the per-run artifact directories; empty = DWH_DBT_ARTIFACTS_DIR or <tmp>/dataacuity-dbt-runs. */
		artifactsDir: z.string().default(''),
		/**
		 * credential: pass `warehouse` to dbt as DWH_DBT_* / DBT_ENV_SECRET_DWH_PASSWORD.
		 * environment: dbt's profile reads variables already set on the host; only names in envPassthrough are passed.
		 */
		connectionSource: z.enum(['credential', 'environment']).default('credential'),
		warehouse: postgresConnectionSchema.optional(),
		/** Schema for models without a custom schema (profile `schema`). */
		defaultSchema: z
			.string()
			.regex(/^[a-z_][a-z0-9_]{0,62}$/, 'defaultSchema must be a lower-case SQL identifier')
			.superRefine((s, ctx) => {
				const problem = dbtSchemaProblem(s);
				if (problem) ctx.addIssue({ code: 'custom', message: problem });
			})
			.default('dbt'),
		/** Extra environment variable names passed through to dbt (e.g. ones a custom profile reads). */
		envPassthrough: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'envPassthrough entries must be variable names')).default([]),
		/** How long a writing run waits for the project lock before failing; 0 = fail at once. */
		lockWaitMs: z
			.number()
			.int()
			.min(0)
			.max(6 * 3600_000)
			.default(0),
		/** Kill dbt after this long; 0 = no limit. */
		timeoutMs: z.number().int().min(0).default(0),
	})
	.superRefine((c, ctx) => {
		if (c.connectionSource === 'credential' && !c.warehouse) {
			ctx.addIssue({ code: 'custom', path: ['warehouse'], message: 'connectionSource "credential" needs the warehouse host, database, user and password' });
		}
	});
export type DbtCoreConfig = z.output<typeof dbtCoreConfigSchema>;
export type DbtCoreConfigInput = z.input<typeof dbtCoreConfigSchema>;
