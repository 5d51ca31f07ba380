import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult, INodeType } from 'n8n-workflow';
import { BlobLoadBronze } from '../../../nodes/BlobLoadBronze/BlobLoadBronze.node';
import { WatermarkExtract } from '../../../nodes/WatermarkExtract/WatermarkExtract.node';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { freePort } from '../../../src/devstack/freePort';
import { adminConnection, freshBucket, testEnv } from '../../harness/testEnv';
import { objectStoreCredential, postgresCredential } from './nodeHarness';

/** Finds the test function the way n8n's CredentialsTester does: a node listing the type with `testedBy`. */
function credentialTest(nodes: INodeType[], type: string) {
	for (const node of nodes) {
		const entry = node.description.credentials?.find((c) => c.name === type && typeof c.testedBy === 'string');
		const fn = entry && node.methods?.credentialTest?.[entry.testedBy as string];
		if (fn) {
			return (data: ICredentialDataDecryptedObject): Promise<INodeCredentialTestResult> => {
				const cred: ICredentialsDecrypted = { id: 'c1', name: 'test credential', type, data };
				return fn.call({} as ICredentialTestFunctions, cred);
			};
		}
	}
	throw new Error(`no node tests credential type ${type}`);
}

const nodes = [new WatermarkExtract(), new BlobLoadBronze()];
const pg = postgresCredential(postgresConnectionSchema.parse(adminConnection('postgres')));

describe.each([
	['dataAcuityPostgres', 'DataAcuity Postgres'],
	['dataAcuityPostgresSource', 'DataAcuity Postgres Source Replica'],
])('%s credential test', (type, label) => {
	const test_ = credentialTest(nodes, type);

	test('succeeds against the real server and names its version', async () => {
		expect(await test_(pg)).toEqual({ status: 'OK', message: expect.stringMatching(/^Connected to PostgreSQL 17\.\d+$/) });
	});

	test('a wrong password says which user failed', async () => {
		expect(await test_({ ...pg, password: 'not-the-password' })).toEqual({
			status: 'Error',
			message: 'Password authentication failed for user "postgres" — check User and Password.',
		});
	});

	test('a missing database is named', async () => {
		expect(await test_({ ...pg, database: 'no_such_db' })).toEqual({
			status: 'Error',
			message: `Database "no_such_db" does not exist on 127.0.0.1:${pg.port} — check Database.`,
		});
	});

	test('a closed port says nothing is listening', async () => {
		const port = await freePort();
		expect(await test_({ ...pg, port })).toEqual({
			status: 'Error',
			message: `Nothing is listening on 127.0.0.1:${port} — check Host and Port, and that the server is running.`,
		});
	});

	test('an empty required field is named before any connection is tried', async () => {
		expect(await test_({ ...pg, database: '', user: '' })).toEqual({
			status: 'Error',
			message: `The ${label} credential is incomplete or invalid — Database is required; User is required`,
		});
	});
});

describe('dataAcuityObjectStore credential test', () => {
	const test_ = credentialTest(nodes, 'dataAcuityObjectStore');
	let store: ICredentialDataDecryptedObject;

	beforeAll(async () => {
		store = objectStoreCredential(await freshBucket('credtest'));
	});

	test('succeeds when the bucket exists and the keys may list it', async () => {
		expect(await test_(store)).toEqual({ status: 'OK', message: `Bucket ${store.bucket} is reachable` });
	});

	test('a missing bucket is reported as missing', async () => {
		expect(await test_({ ...store, bucket: 'no-such-bucket-here' })).toEqual({
			status: 'Error',
			message: `Bucket "no-such-bucket-here" not found at ${testEnv().s3.endpoint} — create it or fix Bucket.`,
		});
	});

	test('an unknown access key is reported as denied, not as a missing bucket', async () => {
		expect(await test_({ ...store, accessKeyId: 'NOSUCHKEY0000000' })).toEqual({
			status: 'Error',
			message: `Access to bucket "${store.bucket}" denied at ${
				testEnv().s3.endpoint
			} — check Access Key ID and Secret Access Key, and that the key may list the prefix.`,
		});
	});

	test('a wrong secret is denied by MinIO; s3rver does not verify SigV4 signatures at all', async () => {
		const res = await test_({ ...store, secretAccessKey: 'wrong-secret-key-000' });
		if (testEnv().s3.kind === 'minio') {
			expect(res).toEqual({
				status: 'Error',
				message: `Access to bucket "${store.bucket}" denied at ${
					testEnv().s3.endpoint
				} — check Access Key ID and Secret Access Key, and that the key may list the prefix.`,
			});
		} else {
			expect(res.status).toBe('OK');
		}
	});

	test('an endpoint with no server is reported as unreachable', async () => {
		const endpoint = `http://127.0.0.1:${await freePort()}`;
		expect(await test_({ ...store, endpoint })).toEqual({
			status: 'Error',
			message: `Nothing is listening at ${endpoint} — check Endpoint and that the S3 server is running.`,
		});
	});

	test('a user:password@ in the endpoint never reaches the message', async () => {
		const port = await freePort();
		const dead = await test_({ ...store, endpoint: `http://minio-admin:leaky-endpoint-secret@127.0.0.1:${port}` });
		expect(dead).toEqual({
			status: 'Error',
			message: `Nothing is listening at http://***@127.0.0.1:${port} — check Endpoint and that the S3 server is running.`,
		});
		const live = testEnv().s3.endpoint.replace('://', '://minio-admin:leaky-endpoint-secret@');
		const missing = await test_({ ...store, endpoint: live, bucket: 'no-such-bucket-here' });
		expect(missing.status).toBe('Error');
		expect(JSON.stringify([dead, missing])).not.toContain('leaky-endpoint-secret');
		expect(missing.message).toContain(`at ${testEnv().s3.endpoint.replace('://', '://***@')}`);
	});

	test('an invalid bucket name is named as the editor shows it', async () => {
		expect(await test_({ ...store, bucket: 'Has_Upper' })).toEqual({
			status: 'Error',
			message: 'The DataAcuity Object Store credential is incomplete or invalid — Bucket: bucket must be a valid S3 bucket name (lower case, 3-63 chars)',
		});
	});
});
