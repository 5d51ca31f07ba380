import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { HeadBucketCommand, ListObjectsV2Command } from '../../src/transport/awsS3';
import { describeObjectStoreError, ObjectStore } from '../../src/transport/objectStore';
import { testPostgresConnection } from '../../src/transport/postgres';
import { objectStoreConfigFromCredential, postgresConfigFromCredential } from './credentialConfig';
import { OBJECT_STORE_TEST_METHOD, POSTGRES_CREDENTIAL_LABELS, POSTGRES_TEST_METHOD } from './credentialTypes';
import { unwrapError } from './errorDescription';

function dataOf(credential: ICredentialsDecrypted): ICredentialDataDecryptedObject {
	return (credential.data ?? {}) as ICredentialDataDecryptedObject;
}

/** Connects with exactly the settings the nodes use (SSL, timeout, application_name) and reports the server. */
export async function dataAcuityPostgresTest(this: ICredentialTestFunctions | void, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	let conn;
	try {
		conn = postgresConfigFromCredential(dataOf(credential), POSTGRES_CREDENTIAL_LABELS[credential.type] ?? 'DataAcuity Postgres');
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
	const res = await testPostgresConnection(conn);
	if (!res.ok) return { status: 'Error', message: res.message };
	const role = res.inRecovery ? ' (hot standby: extracts are capped at the replay position)' : '';
	return { status: 'OK', message: `Connected to PostgreSQL ${res.serverVersion}${role}` };
}

/** HeadBucket, then a one-key listing of the prefix: tells a missing bucket from bad keys from a dead endpoint. */
export async function dataAcuityObjectStoreTest(this: ICredentialTestFunctions | void, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	let store: ObjectStore;
	try {
		store = new ObjectStore(objectStoreConfigFromCredential(dataOf(credential)));
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
	const { bucket, prefix } = store.cfg;
	try {
		await store.client.send(new HeadBucketCommand({ Bucket: bucket }));
		// HeadBucket only proves the bucket exists; a key limited to other prefixes fails here instead of mid-run.
		await store.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix ? `${prefix}/` : '', MaxKeys: 1 }));
		return { status: 'OK', message: `Bucket ${bucket} is reachable` };
	} catch (err) {
		return { status: 'Error', message: describeObjectStoreError(unwrapError(err), store.cfg) };
	} finally {
		store.client.destroy();
	}
}

/** Spread into a node's `methods.credentialTest`; list the credential with `testedBy: POSTGRES_TEST_METHOD` etc. */
export const credentialTestMethods = {
	[POSTGRES_TEST_METHOD]: dataAcuityPostgresTest,
	[OBJECT_STORE_TEST_METHOD]: dataAcuityObjectStoreTest,
};
