import type pg from 'pg';
import type { PostgresConnection } from '../config/connection.schema';
import { createPool } from '../transport/postgres';
import type { AnonymiseDeps } from './runner';
import type { AnonymisationSecrets } from './secrets.schema';
import { TokenVault } from './vault';

export interface AnonymiseSession {
	deps: AnonymiseDeps;
	vaultPool: pg.Pool | null;
	close(): Promise<void>;
}

/**
 * Pools for one n8n execution or CLI run: the warehouse, and the vault when the credential names one. The vault
 * must have been migrated (migrateCompliance) by its owner; a missing schema is reported here rather than as a
 * failed INSERT in the middle of a build.
 */
export async function openAnonymiseSession(o: {
	warehouse: PostgresConnection;
	secrets: AnonymisationSecrets;
	executionId?: string;
	log?: (m: string) => void;
}): Promise<AnonymiseSession> {
	const warehouse = createPool(o.warehouse, { role: 'anonymise' });
	let vaultPool: pg.Pool | null = null;
	let vault: TokenVault | null = null;
	try {
		if (o.secrets.vault) {
			if (!o.secrets.vaultEncryptionKey) throw new Error('The anonymisation-secrets credential names a vault but has no Vault Encryption Key');
			vaultPool = createPool(o.secrets.vault, { role: 'anonymise-vault' });
			const { rows } = await vaultPool.query<{ t: string | null }>(`SELECT to_regclass('compliance.token_vault')::text AS t`);
			if (!rows[0].t) {
				throw new Error(
					`The vault database ${o.secrets.vault.database} on ${o.secrets.vault.host} has no compliance.token_vault — its owner must apply dwh-control-sql/compliance (npm run dwh:migrate-compliance)`,
				);
			}
			vault = new TokenVault(vaultPool, { hmacKey: o.secrets.hmacKey, encryptionKey: o.secrets.vaultEncryptionKey });
		}
	} catch (err) {
		await warehouse.end().catch(() => undefined);
		await vaultPool?.end().catch(() => undefined);
		throw err;
	}
	return {
		deps: { warehouse, secrets: o.secrets, vault, executionId: o.executionId, log: o.log },
		vaultPool,
		async close() {
			await Promise.all([warehouse.end().catch(() => undefined), vaultPool?.end().catch(() => undefined)]);
		},
	};
}
