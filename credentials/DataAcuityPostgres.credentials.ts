import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { sslProperties } from './sslProperties';

/**
 * Shared by the warehouse credential and the source-replica credential (DataAcuityPostgresSource): both are the
 * same kind of connection, they only need to be separate credential types so one node can ask for both.
 * Field names match postgresConnectionSchema (src/config/connection.schema.ts) one to one.
 */
export const dataAcuityPostgresProperties: INodeProperties[] = [
	{
		displayName: 'Host',
		name: 'host',
		type: 'string',
		default: 'localhost',
		required: true,
		description: 'Postgres or PgBouncer host name or IP address',
	},
	{
		displayName: 'Port',
		name: 'port',
		type: 'number',
		default: 5432,
		required: true,
		description: 'Usually 5432 for Postgres, 6432 for PgBouncer',
	},
	{
		displayName: 'Database',
		name: 'database',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'dwh',
		description:
			'Database to connect to. For a source replica this is only used by the credential test: each registered table names its own source database, read with this same login.',
	},
	{
		displayName: 'User',
		name: 'user',
		type: 'string',
		default: '',
		required: true,
	},
	{
		displayName: 'Password',
		name: 'password',
		type: 'string',
		typeOptions: { password: true },
		default: '',
	},
	...sslProperties('', { mode: 'sslMode', ca: 'sslCa' }, 'disable'),
	{
		displayName: 'Max Connections',
		name: 'maxConnections',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 64 },
		default: 4,
		description:
			'Connections one execution may open per database. Keep 4 or fewer behind PgBouncer (design doc §10.3: at most 4 parallel connections per ETL job) — a burst of reconnects can trip the PgBouncer cache cascade.',
	},
	{
		displayName: 'Statement Timeout (Ms)',
		name: 'statementTimeoutMs',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			'Server-side statement_timeout in milliseconds; 0 means no limit. A large back-fill COPY runs as one statement, so set this above the longest expected extract.',
	},
	{
		displayName: 'Application Name',
		name: 'applicationName',
		type: 'string',
		default: 'n8n-dataacuity',
		description: 'Shown in pg_stat_activity (suffixed with :extract, :warehouse, …) so DBAs can tell pipeline sessions apart. Max 63 characters.',
	},
];

/** The warehouse (dwh) connection; also used for analytics_db and by every node that writes to the warehouse. */
export class DataAcuityPostgres implements ICredentialType {
	name = 'dataAcuityPostgres';

	displayName = 'DataAcuity Postgres';

	icon = 'file:dataAcuityPostgres.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';

	properties: INodeProperties[] = dataAcuityPostgresProperties;
}
