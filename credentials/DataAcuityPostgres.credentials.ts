import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { numberParameter, requiredText, secretParameter, textParameter } from '../nodes/shared/parameters';
import { sslProperties } from './sslProperties';

/**
 * Shared by the warehouse credential and the source-replica credential (DataAcuityPostgresSource): both are the
 * same kind of connection, they only need to be separate credential types so one node can ask for both.
 * Field names match postgresConnectionSchema (src/config/connection.schema.ts) one to one.
 */
export const dataAcuityPostgresProperties: INodeProperties[] = [
	requiredText('Host', 'host', { default: 'localhost', description: 'Postgres or PgBouncer host name or IP address' }),
	numberParameter('Port', 'port', 5432, { required: true, description: 'Usually 5432 for Postgres, 6432 for PgBouncer' }),
	requiredText('Database', 'database', {
		placeholder: 'dwh',
		description:
			'Database to connect to. For a source replica this is only used by the credential test: each registered table names its own source database, read with this same login.',
	}),
	requiredText('User', 'user'),
	secretParameter('Password', 'password'),
	...sslProperties('', { mode: 'sslMode', ca: 'sslCa' }, 'disable'),
	numberParameter('Max Connections', 'maxConnections', 4, {
		typeOptions: { minValue: 1, maxValue: 64 },
		description:
			'Connections one execution may open per database. Keep 4 or fewer behind PgBouncer (design doc §10.3: at most 4 parallel connections per ETL job) — a burst of reconnects can trip the PgBouncer cache cascade.',
	}),
	numberParameter('Statement Timeout (Ms)', 'statementTimeoutMs', 0, {
		typeOptions: { minValue: 0 },
		description:
			'Server-side statement_timeout in milliseconds; 0 means no limit. A large back-fill COPY runs as one statement, so set this above the longest expected extract.',
	}),
	textParameter('Application Name', 'applicationName', {
		default: 'n8n-dataacuity',
		description: 'Shown in pg_stat_activity (suffixed with :extract, :warehouse, …) so DBAs can tell pipeline sessions apart. Max 63 characters.',
	}),
];

/** The warehouse (dwh) connection; also used for analytics_db and by every node that writes to the warehouse. */
export class DataAcuityPostgres implements ICredentialType {
	name = 'dataAcuityPostgres';

	displayName = 'DataAcuity Postgres';

	// Icon, not the literal type: DataAcuityPostgresSource overrides it with its own.
	icon: Icon = 'file:dataAcuityPostgres.svg';

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';

	properties: INodeProperties[] = dataAcuityPostgresProperties;
}
