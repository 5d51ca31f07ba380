import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/** MinIO or AWS S3. Field names match objectStoreSchema (src/config/connection.schema.ts). */
export class DataAcuityObjectStore implements ICredentialType {
	name = 'dataAcuityObjectStore';

	displayName = 'DataAcuity Object Store';

	icon = 'file:dataAcuityObjectStore.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';

	properties: INodeProperties[] = [
		{
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:9000',
			description: 'S3 API address of MinIO or another S3-compatible server. Leave empty for AWS S3.',
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'string',
			default: 'us-east-1',
			description: 'MinIO accepts any region; us-east-1 is its default',
		},
		{
			displayName: 'Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Secret Access Key',
			name: 'secretAccessKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		{
			displayName: 'Bucket',
			name: 'bucket',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'dwh-exports',
			description: 'Must already exist. Lower case, 3–63 characters.',
		},
		{
			displayName: 'Prefix',
			name: 'prefix',
			type: 'string',
			default: 'dataacuity',
			description: 'Folder inside the bucket; CSVs are written to <prefix>/exports/ and moved to <prefix>/processed/ after loading',
		},
		{
			displayName: 'Force Path-Style URLs',
			name: 'forcePathStyle',
			type: 'boolean',
			default: true,
			description: 'Whether to address the bucket as <endpoint>/<bucket> (needed by MinIO) instead of <bucket>.<endpoint>',
		},
		{
			displayName: 'Request Checksums',
			name: 'checksumMode',
			type: 'options',
			options: [
				{
					name: 'When Required (Portable)',
					value: 'when_required',
					description: 'Only where the S3 API demands one; works with every S3-compatible server',
				},
				{
					name: 'When Supported (AWS Default)',
					value: 'when_supported',
					description: 'CRC32 on every upload; some S3-compatible servers reject these requests',
				},
			],
			default: 'when_required',
		},
	];
}
