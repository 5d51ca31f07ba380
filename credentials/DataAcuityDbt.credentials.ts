import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { optionsParameter, secretParameter, textParameter } from '../nodes/shared/parameters';

/**
 * Everything dbt-specific and secret for the DbtRun node: where dbt Core lives and how to start it, the dbt Cloud
 * account, and the Wolverine webhook secret. The warehouse login is not repeated here: the node also takes a
 * DataAcuity Postgres credential (the design's dwh_user), which it hands to dbt through environment variables,
 * and uses for the project lock and incident de-duplication. Field names match src/dbt/coreConfig.schema.ts and
 * src/dbt/cloud/cloudConfig.schema.ts.
 */
export class DataAcuityDbt implements ICredentialType {
	name = 'dataAcuityDbt';

	// eslint-disable-next-line n8n-nodes-base/cred-class-field-display-name-miscased -- dbt spells itself in lower case, as the README and the node do
	displayName = 'DataAcuity dbt';

	icon = 'file:dataAcuityDbt.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#dbtrun';

	properties: INodeProperties[] = [
		textParameter('dbt Executable', 'dbtBin', {
			placeholder: '/opt/dbt/.venv/bin/dbt',
			description: "Path of the dbt program. Empty: $DWH_DBT_BIN, then the pack's own .venv/bin/dbt, then dbt on the PATH.",
		}),
		textParameter('Command Prefix', 'commandPrefix', {
			placeholder: 'docker exec -i dbt_transform',
			description:
				'Words run before the dbt executable when dbt lives elsewhere (e.g. in the dbt_transform container). Split like a command line but never run through a shell; the artifacts directory must then be a path both sides see.',
		}),
		textParameter('Project Directory', 'projectDir', {
			placeholder: '/srv/dbt/dataacuity',
			description: 'Folder with dbt_project.yml. Empty: the reference project shipped in this package (dbt/).',
		}),
		textParameter('Profiles Directory', 'profilesDir', {
			description: 'Folder with profiles.yml. Empty: the project directory (the shipped profile reads the connection from the environment).',
		}),
		textParameter('Artifacts Directory', 'artifactsDir', {
			placeholder: '/var/lib/n8n/dbt-runs',
			description:
				'Each run writes run_results.json, manifest.json and dbt.log into its own sub-folder here. Empty: $DWH_DBT_ARTIFACTS_DIR or the system temp folder.',
		}),
		optionsParameter('Warehouse Connection for dbt', 'connectionSource', { default: 'credential' }, [
			{
				name: 'From the Node’s Postgres Credential',
				value: 'credential',
				description: 'Passed to dbt as DWH_DBT_* variables; the password as DBT_ENV_SECRET_DWH_PASSWORD, which dbt scrubs from its logs',
			},
			{
				name: 'Host Environment',
				value: 'environment',
				description: "dbt's profiles.yml reads variables already set where dbt runs; only the names below are passed through",
			},
		]),
		textParameter('Default Schema', 'defaultSchema', {
			default: 'dbt',
			description: 'Profile schema for models without their own (the reference project puts its models in staging and marts)',
		}),
		textParameter('Pass-Through Environment Variables', 'envPassthrough', {
			placeholder: 'DBT_PROFILE_HOST, MY_VAR',
			description:
				"Comma-separated names passed from n8n's environment to dbt. Everything else is withheld (n8n's own secrets never reach dbt); PATH, HOME, DBT_* and DWH_DBT_* always pass.",
		}),
		textParameter('dbt Cloud Base URL', 'cloudBaseUrl', {
			default: 'https://cloud.getdbt.com',
			description: 'API host of the dbt Cloud account (regional and single-tenant accounts have their own)',
		}),
		textParameter('dbt Cloud Account ID', 'cloudAccountId', { description: 'Only for the "Trigger dbt Cloud Job" operation' }),
		secretParameter('dbt Cloud API Token', 'cloudToken', { description: 'A service token allowed to run jobs (sent only in the Authorization header)' }),
		secretParameter('Wolverine Webhook Secret', 'webhookSecret', {
			description:
				'Shared secret for the incident rerun webhook: Wolverine signs "<unix seconds>.<raw body>" with HMAC-SHA256 and sends it as X-Wolverine-Signature: sha256=<hex>',
		}),
	];
}
