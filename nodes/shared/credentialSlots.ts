import type { INodeCredentialDescription } from 'n8n-workflow';
import { ANALYTICS_CREDENTIAL, OBJECT_STORE_CREDENTIAL, SOURCE_CREDENTIAL, WAREHOUSE_CREDENTIAL } from './credentialTypes';
import { OBJECT_STORE_TEST_METHOD, POSTGRES_TEST_METHOD } from './credentialTypes';

type Slot = Readonly<INodeCredentialDescription>;

/*
 * The credential slots several nodes offer. A slot of a Postgres or Object Store type is tested by the shared
 * credential test every node carries (credentialTestMethods), and a slot used the same way has the same label in
 * every node. A node spreads them into its credentials, `{ ...WAREHOUSE_SLOT }`, overriding the label or display
 * rule where its use differs: each node gets its own object, and n8n's lint reads each slot as an object literal
 * (a function call in that array crashes its node-class-description-credentials-name-unsuffixed rule).
 */

export const WAREHOUSE_SLOT: Slot = { name: WAREHOUSE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Warehouse (dwh)' };

export const SOURCE_SLOT: Slot = { name: SOURCE_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'Source Replica' };

export const ANALYTICS_SLOT: Slot = { name: ANALYTICS_CREDENTIAL, required: true, testedBy: POSTGRES_TEST_METHOD, displayName: 'analytics_db' };

export const OBJECT_STORE_SLOT: Slot = {
	name: OBJECT_STORE_CREDENTIAL,
	required: true,
	testedBy: OBJECT_STORE_TEST_METHOD,
	displayName: 'Object Store (S3/MinIO)',
};
