import { CredentialConfigError, objectStoreConfigFromCredential, postgresConfigFromCredential } from '../../../nodes/shared/credentialConfig';

describe('Postgres credential → postgresConnectionSchema', () => {
	const minimal = { host: 'db.internal', database: 'dwh', user: 'dwh_owner', password: ' secret ' };

	test('fills the documented defaults (4 connections, no statement timeout, disable SSL, port 5432)', () => {
		expect(postgresConfigFromCredential(minimal)).toEqual({
			host: 'db.internal',
			port: 5432,
			database: 'dwh',
			user: 'dwh_owner',
			password: ' secret ',
			sslMode: 'disable',
			sslCa: '',
			maxConnections: 4,
			statementTimeoutMs: 0,
			applicationName: 'n8n-dataacuity',
		});
	});

	test('cleared fields fall back to defaults and text numbers are read as numbers; only the password keeps its spaces', () => {
		const c = postgresConfigFromCredential({
			...minimal,
			host: ' db.internal ',
			port: '6432',
			maxConnections: '',
			statementTimeoutMs: '30000',
			applicationName: '',
		});
		expect(c).toMatchObject({
			host: 'db.internal',
			port: 6432,
			maxConnections: 4,
			statementTimeoutMs: 30000,
			applicationName: 'n8n-dataacuity',
			password: ' secret ',
		});
	});

	test('keeps SSL settings', () => {
		const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
		expect(postgresConfigFromCredential({ ...minimal, sslMode: 'verify-full', sslCa: pem })).toMatchObject({ sslMode: 'verify-full', sslCa: pem });
	});

	test('names every missing field by its label in the editor', () => {
		let err: unknown;
		try {
			postgresConfigFromCredential({ host: 'db', port: 5432 }, 'DataAcuity Postgres Source Replica');
		} catch (e) {
			err = e;
		}
		expect(err).toBeInstanceOf(CredentialConfigError);
		expect(err).toMatchObject({
			credential: 'DataAcuity Postgres Source Replica',
			fields: ['Database', 'User'],
			message: 'The DataAcuity Postgres Source Replica credential is incomplete or invalid — Database is required; User is required',
		});
	});

	test('out-of-range values say what is wrong with which field', () => {
		expect(() => postgresConfigFromCredential({ ...minimal, maxConnections: 0 })).toThrow(/Max Connections: Number must be greater than or equal to 1/);
		expect(() => postgresConfigFromCredential({ ...minimal, port: 70000 })).toThrow(/Port: Number must be less than or equal to 65535/);
		expect(() => postgresConfigFromCredential({ ...minimal, sslMode: 'prefer' })).toThrow(/SSL Mode: Invalid enum value/);
	});
});

describe('Object store credential → objectStoreSchema', () => {
	const minimal = { accessKeyId: 'AKIA', secretAccessKey: 'sk', bucket: 'dwh-exports' };

	test('defaults: AWS (no endpoint), us-east-1, prefix dataacuity, path-style, portable checksums', () => {
		expect(objectStoreConfigFromCredential({ ...minimal, endpoint: '' })).toEqual({
			endpoint: undefined,
			region: 'us-east-1',
			accessKeyId: 'AKIA',
			secretAccessKey: 'sk',
			bucket: 'dwh-exports',
			prefix: 'dataacuity',
			forcePathStyle: true,
			checksumMode: 'when_required',
		});
	});

	test('normalises what users type: trailing slashes, slashes around the prefix, "false" from the API', () => {
		const c = objectStoreConfigFromCredential({
			...minimal,
			endpoint: ' http://127.0.0.1:9000/ ',
			prefix: '/bi/pipeline/',
			forcePathStyle: 'false',
			checksumMode: 'when_supported',
		});
		expect(c).toMatchObject({ endpoint: 'http://127.0.0.1:9000', prefix: 'bi/pipeline', forcePathStyle: false, checksumMode: 'when_supported' });
	});

	test('refuses a bad bucket, a non-URL endpoint and a traversing prefix, naming the fields', () => {
		expect(() => objectStoreConfigFromCredential({ ...minimal, bucket: 'DWH_Exports' })).toThrow(
			'The DataAcuity Object Store credential is incomplete or invalid — Bucket: bucket must be a valid S3 bucket name (lower case, 3-63 chars)',
		);
		expect(() => objectStoreConfigFromCredential({ ...minimal, endpoint: '127.0.0.1:9000' })).toThrow(/Endpoint: endpoint must be a URL/);
		expect(() => objectStoreConfigFromCredential({ ...minimal, endpoint: 'minio:9000' })).toThrow(/Endpoint: must start with http:\/\/ or https:\/\//);
		expect(() => objectStoreConfigFromCredential({ ...minimal, prefix: 'a/../b' })).toThrow(/Prefix: prefix must not contain \. or \.\. segments/);
	});

	test('missing keys are named', () => {
		expect(() => objectStoreConfigFromCredential({ bucket: 'dwh-exports' })).toThrow(
			'The DataAcuity Object Store credential is incomplete or invalid — Access Key ID is required; Secret Access Key is required',
		);
	});
});
