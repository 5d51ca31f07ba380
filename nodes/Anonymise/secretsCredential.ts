import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { DataAcuityAnonymisationSecrets } from '../../credentials/DataAcuityAnonymisationSecrets.credentials';
import { anonymisationSecretsSchema, type AnonymisationSecrets } from '../../src/anonymise/secrets.schema';
import { openAnonymiseSession } from '../../src/anonymise/session';
import { CredentialConfigError } from '../shared/credentialConfig';

export const SECRETS_CREDENTIAL = 'dataAcuityAnonymisationSecrets';
export const SECRETS_TEST_METHOD = 'dataAcuityAnonymisationSecretsTest';
const CREDENTIAL_LABEL = 'DataAcuity Anonymisation Secrets';

const labels = new Map(new DataAcuityAnonymisationSecrets().properties.map((p) => [p.name, p.displayName]));
const present = (v: unknown) => v !== undefined && v !== null && v !== '';

/** The credential's flat fields → the secrets schema; errors name fields as the editor shows them, never values. */
export function secretsFromCredential(data: ICredentialDataDecryptedObject): AnonymisationSecrets {
	const vault = present(data.vaultHost)
		? {
				host: String(data.vaultHost).trim(),
				port: present(data.vaultPort) ? data.vaultPort : undefined,
				database: data.vaultDatabase,
				user: data.vaultUser,
				password: data.vaultPassword ?? '',
				sslMode: present(data.vaultSslMode) ? data.vaultSslMode : undefined,
				sslCa: data.vaultSslCa ?? '',
				applicationName: 'n8n-dataacuity:vault',
		  }
		: undefined;
	const parsed = anonymisationSecretsSchema.safeParse({
		salts: data.salts,
		hmacKey: data.hmacKey,
		vaultEncryptionKey: present(data.vaultEncryptionKey) ? data.vaultEncryptionKey : undefined,
		vault,
	});
	if (parsed.success) return parsed.data;
	const fields: string[] = [];
	const problems = parsed.error.issues.map((i) => {
		const [head, sub] = i.path.map(String);
		const key = head === 'vault' && sub ? `vault${sub[0].toUpperCase()}${sub.slice(1)}` : head;
		const label = labels.get(key) ?? key;
		fields.push(label);
		return i.code === 'invalid_type' && i.received === 'undefined' ? `${label} is required` : `${label}: ${i.message}`;
	});
	throw new CredentialConfigError(CREDENTIAL_LABEL, fields, `The ${CREDENTIAL_LABEL} credential is incomplete or invalid — ${problems.join('; ')}`);
}

/** Validates salts and keys, and when a vault is named, connects and checks compliance.token_vault exists. */
export async function anonymisationSecretsTest(this: ICredentialTestFunctions | void, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	let secrets: AnonymisationSecrets;
	try {
		secrets = secretsFromCredential((credential.data ?? {}) as ICredentialDataDecryptedObject);
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
	const types = Object.entries(secrets.salts).map(([t, v]) => `${t} v${Object.keys(v).join('/v')}`);
	if (!secrets.vault) return { status: 'OK', message: `Salts: ${types.join(', ')}; no vault configured (tokenise policies will fail)` };
	try {
		// Only the vault is checked here; the warehouse has its own credential and test.
		const session = await openAnonymiseSession({ warehouse: { ...secrets.vault, maxConnections: 1 }, secrets });
		await session.close();
		return { status: 'OK', message: `Salts: ${types.join(', ')}; vault ${secrets.vault.database} on ${secrets.vault.host} is reachable and migrated` };
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
}
