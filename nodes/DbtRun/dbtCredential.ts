import type { ICredentialDataDecryptedObject } from 'n8n-workflow';
import type { PostgresConnection } from '../../src/config/connection.schema';
import type { DbtCloudConfigInput } from '../../src/dbt/cloud/cloudConfig.schema';
import type { DbtCoreConfigInput } from '../../src/dbt/coreConfig.schema';
import { CredentialConfigError } from '../shared/credentialConfig';

export const DBT_CREDENTIAL = 'dataAcuityDbt';
export const DBT_TEST_METHOD = 'dataAcuityDbtTest';
const LABEL = 'DataAcuity Dbt';

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : v == null ? '' : String(v).trim());

/** The dbt Core settings of the credential plus the warehouse login chosen on the node. */
export function coreConfigFromCredential(
	data: ICredentialDataDecryptedObject,
	warehouse: PostgresConnection,
	run: { lockWaitMs: number; timeoutMs: number },
): DbtCoreConfigInput {
	return {
		dbtBin: text(data.dbtBin),
		commandPrefix: text(data.commandPrefix),
		projectDir: text(data.projectDir),
		profilesDir: text(data.profilesDir),
		artifactsDir: text(data.artifactsDir),
		connectionSource: text(data.connectionSource) === 'environment' ? 'environment' : 'credential',
		warehouse,
		defaultSchema: text(data.defaultSchema) || 'dbt',
		envPassthrough: text(data.envPassthrough)
			.split(/[\s,]+/)
			.filter(Boolean),
		...run,
	};
}

export function cloudConfigFromCredential(data: ICredentialDataDecryptedObject, poll: { pollIntervalMs: number; timeoutMs: number }): DbtCloudConfigInput {
	const missing = [!text(data.cloudAccountId) && 'dbt Cloud Account ID', !text(data.cloudToken) && 'dbt Cloud API Token'].filter((m): m is string => !!m);
	if (missing.length) {
		throw new CredentialConfigError(LABEL, missing, `The ${LABEL} credential has no ${missing.join(' or ')}, needed to trigger dbt Cloud jobs`);
	}
	return {
		baseUrl: text(data.cloudBaseUrl) || 'https://cloud.getdbt.com',
		accountId: text(data.cloudAccountId) as unknown as number,
		token: String(data.cloudToken),
		...poll,
	};
}

export function webhookSecretFromCredential(data: ICredentialDataDecryptedObject): string {
	const secret = typeof data.webhookSecret === 'string' ? data.webhookSecret : '';
	if (!secret) {
		throw new CredentialConfigError(
			LABEL,
			['Wolverine Webhook Secret'],
			`The ${LABEL} credential has no Wolverine Webhook Secret: every incident request would be refused`,
		);
	}
	return secret;
}
