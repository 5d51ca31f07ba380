import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { numberParameter, secretParameter, textParameter } from '../nodes/shared/parameters';
import { sslProperties } from './sslProperties';

/**
 * The only home of anonymisation secrets (design doc §6.2, §6.3): salts per salt type and version, the HMAC key
 * of the vault lookup and of the forgotten-subject register, the vault encryption key, and the login of the
 * compliance database that holds compliance.token_vault. Share it only with the compliance-approved workflows.
 * The vault connection lives here rather than in a separate Postgres credential so that whoever may use the vault
 * key is exactly whoever may reach the vault. Field names match src/anonymise/secrets.schema.ts.
 */
export class DataAcuityAnonymisationSecrets implements ICredentialType {
	name = 'dataAcuityAnonymisationSecrets';

	displayName = 'DataAcuity Anonymisation Secrets';

	icon = 'file:dataAcuityAnonymisationSecrets.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#anonymise';

	properties: INodeProperties[] = [
		secretParameter('Salts', 'salts', {
			typeOptions: { rows: 6 },
			required: true,
			placeholder: '{"users": {"1": "<64 hex chars>"}, "devices": {"1": "…"}}',
			description:
				"JSON: salt type → version → salt (at least 16 characters; use `openssl rand -hex 32`). Policies name the salt type. A new version only takes effect through the Anonymise node's Rotate Salt operation; never change the value of a version already in use.",
		}),
		secretParameter('HMAC Key', 'hmacKey', {
			required: true,
			description:
				'At least 32 characters. Keys the vault lookup hash and the right-to-be-forgotten register. Never change it: existing tokens could no longer be found.',
		}),
		secretParameter('Vault Encryption Key', 'vaultEncryptionKey', {
			description: 'At least 32 random characters. pgp_sym_encrypt key of compliance.token_vault values. Needed when a policy tokenises.',
		}),
		textParameter('Vault Host', 'vaultHost', {
			placeholder: 'compliance-db.internal',
			description: 'Compliance database server holding compliance.token_vault. Leave empty when no policy tokenises.',
		}),
		numberParameter('Vault Port', 'vaultPort', 5432),
		textParameter('Vault Database', 'vaultDatabase', { default: 'compliance' }),
		textParameter('Vault User', 'vaultUser'),
		secretParameter('Vault Password', 'vaultPassword'),
		...sslProperties('Vault ', { mode: 'vaultSslMode', ca: 'vaultSslCa' }, 'require'),
	];
}
