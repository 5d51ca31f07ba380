import type { INodeProperties } from 'n8n-workflow';
import type { sslModes } from '../src/config/connection.schema';

type SslMode = (typeof sslModes)[number];

/** Each mode the connection schema accepts (one missing here fails to compile), as the editor offers it. */
const SSL_MODES: Record<SslMode, [name: string, description: string]> = {
	disable: ['Disable', 'Plain TCP'],
	require: ['Require', 'Encrypt, but do not check the server certificate'],
	'verify-ca': ['Verify CA', 'Encrypt and check the certificate chain against the CA'],
	'verify-full': ['Verify Full', 'Encrypt, check the chain and that the certificate names the host'],
};

/**
 * SSL Mode and CA Certificate of a Postgres connection: the DataAcuity Postgres credentials and the token vault's
 * connection in DataAcuity Anonymisation Secrets. Both are read by src/transport/postgres.ts (sslModes in
 * src/config/connection.schema.ts), so the choices and what they mean are written once.
 */
export function sslProperties(label: string, names: { mode: string; ca: string }, defaultMode: SslMode): INodeProperties[] {
	return [
		{
			displayName: `${label}SSL Mode`,
			name: names.mode,
			type: 'options',
			options: Object.entries(SSL_MODES).map(([value, [name, description]]) => ({ name, value, description })),
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
