import type { ICredentialDataDecryptedObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { defaultPoliciesDir } from '../../../src/anonymise/policyLoader';
import { todayUtc } from '../../../src/anonymise/runner';
import { loadRegistryFile } from '../../../src/control/registryFile';
import { openAnonymiseSession, type AnonymiseSession } from '../../../src/anonymise/session';
import type { Resources } from '../../shared/items';
import { readWarehouseConnection } from '../../shared/pipelineContext';
import { SECRETS_CREDENTIAL, secretsFromCredential } from '../secretsCredential';
import { optionsCollection } from '../../shared/descriptions';
import { requiredText, textParameter } from '../../shared/parameters';

/** Parameters several operations share; each operation file lists the ones it shows, under its own operation. */
export const sourceDb = requiredText('Source Database', 'sourceDb', {
	placeholder: 'auth_db',
	description: 'Source database as in the registry; its policy file is &lt;source_db&gt;.policy.JSON in the policies folder',
});

export const table = requiredText('Table', 'table', {
	placeholder: 'users',
	description: 'Source table as named in the policy (input raw.&lt;source_db&gt;__&lt;table&gt; unless the policy says otherwise)',
	displayOptions: { hide: { tableSelection: ['all'] } },
});

export const relation = requiredText('Relation', 'relation', { placeholder: 'intermediate.int_auth_db__users' });

export const options: INodeProperties = optionsCollection('options', [
	textParameter('Policies Folder', 'policiesDir', { description: 'Folder of policy files on the n8n host; empty uses the policies shipped in this package' }),
	textParameter('As-of Date', 'asOf', { placeholder: '2026-11-25', description: 'Date age bands are computed at; empty is today (UTC)' }),
]);

export const registryFile = textParameter('Registry File', 'registryFile', {
	description: 'Source registry on the n8n host whose retention.archive_days applies; empty uses the one shipped in this package',
});

/** retention.archive_days of the registry file item `i` names (the shipped one by default). */
export const archiveDaysOf = (fns: IExecuteFunctions, i: number) =>
	loadRegistryFile(String(fns.getNodeParameter('registryFile', i, '')).trim() || undefined).retention.archive_days;

/** The Options collection of item `i`, with its defaults applied. */
export function optionsOf(fns: IExecuteFunctions, i: number): { policiesDir: string; asOf: string } {
	const o = fns.getNodeParameter('options', i, {}) as { policiesDir?: string; asOf?: string };
	return { policiesDir: o.policiesDir?.trim() || defaultPoliciesDir(), asOf: o.asOf?.trim() || todayUtc() };
}

export const list = (s: unknown) =>
	String(s ?? '')
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

export const text = (fns: IExecuteFunctions, name: string, i: number) => String(fns.getNodeParameter(name, i)).trim();

/** The warehouse plus salts, HMAC key and vault: what hashing, tokenising and forgetting need. */
export function anonymiseSession(fns: IExecuteFunctions): Resources<AnonymiseSession> {
	return {
		open: async (scope) => {
			const warehouse = await readWarehouseConnection(fns);
			scope.warehouse = warehouse;
			const secrets = secretsFromCredential(await fns.getCredentials<ICredentialDataDecryptedObject>(SECRETS_CREDENTIAL));
			return openAnonymiseSession({ warehouse, secrets, executionId: fns.getExecutionId(), log: (m) => fns.logger.info(m) });
		},
		close: (session) => session.close(),
	};
}
