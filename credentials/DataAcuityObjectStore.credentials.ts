import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { booleanParameter, optionsParameter, requiredText, secretParameter, textParameter } from '../nodes/shared/parameters';

/** MinIO or AWS S3. Field names match objectStoreSchema (src/config/connection.schema.ts). */
export class DataAcuityObjectStore implements ICredentialType {
	name = 'dataAcuityObjectStore';

	displayName = 'DataAcuity Object Store';

	icon = 'file:dataAcuityObjectStore.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';

	properties: INodeProperties[] = [
		textParameter('Endpoint', 'endpoint', {
			placeholder: 'http://127.0.0.1:9000',
			description: 'S3 API address of MinIO or another S3-compatible server. Leave empty for AWS S3.',
		}),
		textParameter('Region', 'region', { default: 'us-east-1', description: 'MinIO accepts any region; us-east-1 is its default' }),
		requiredText('Access Key ID', 'accessKeyId'),
		secretParameter('Secret Access Key', 'secretAccessKey', { required: true }),
		requiredText('Bucket', 'bucket', { placeholder: 'dwh-exports', description: 'Must already exist. Lower case, 3–63 characters.' }),
		textParameter('Prefix', 'prefix', {
			default: 'dataacuity',
			description: 'Folder inside the bucket; CSVs are written to <prefix>/exports/ and moved to <prefix>/processed/ after loading',
		}),
		booleanParameter(
			'Force Path-Style URLs',
			'forcePathStyle',
			true,
			'Whether to address the bucket as <endpoint>/<bucket> (needed by MinIO) instead of <bucket>.<endpoint>',
		),
		optionsParameter('Request Checksums', 'checksumMode', { default: 'when_required' }, [
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
		]),
	];
}
