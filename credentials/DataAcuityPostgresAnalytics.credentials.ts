import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { dataAcuityPostgresProperties } from './DataAcuityPostgres.credentials';

/**
 * The apps' analytics_db login for PushBack (design doc §9, pushback_user in §10.2). n8n lets a node ask for each
 * credential type once and PushBack reads the warehouse and writes analytics_db in one execution, so analytics_db
 * gets its own type with the same fields as DataAcuity Postgres. The login needs CREATE on the database (it creates
 * the app schemas), and CREATEROLE only if the app roles are not created by a DBA beforehand.
 */
export class DataAcuityPostgresAnalytics implements ICredentialType {
	name = 'dataAcuityPostgresAnalytics';

	displayName = 'DataAcuity Postgres Analytics DB';

	icon = 'file:dataAcuityPostgres.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';

	properties: INodeProperties[] = dataAcuityPostgresProperties;
}
