import type { INodeProperties } from 'n8n-workflow';

/**
 * SSL Mode and CA Certificate of a Postgres connection: the DataAcuity Postgres credentials and the token vault's
 * connection in DataAcuity Anonymisation Secrets. Both are read by src/transport/postgres.ts (sslModes in
 * src/config/connection.schema.ts), so the choices and what they mean are written once.
 */
export function sslProperties(label: string, names: { mode: string; ca: string }, defaultMode: string): INodeProperties[] {
	return [
		{
			displayName: `${label}SSL Mode`,
			name: names.mode,
			type: 'options',
			options: [
				{ name: 'Disable', value: 'disable', description: 'Plain TCP' },
				{ name: 'Require', value: 'require', description: 'Encrypt, but do not check the server certificate' },
				{ name: 'Verify CA', value: 'verify-ca', description: 'Encrypt and check the certificate chain against the CA' },
				{ name: 'Verify Full', value: 'verify-full', description: 'Encrypt, check the chain and that the certificate names the host' },
			],
			default: defaultMode,
		},
		{
			displayName: `${label}CA Certificate`,
			name: names.ca,
			type: 'string',
			typeOptions: { password: true, rows: 4 },
			default: '',
			placeholder: '-----BEGIN CERTIFICATE-----',
			description: 'PEM text of the CA that signed the server certificate. Leave empty to use the system CAs.',
			displayOptions: { show: { [names.mode]: ['verify-ca', 'verify-full'] } },
		},
	];
}
