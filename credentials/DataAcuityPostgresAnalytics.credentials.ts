import type { ICredentialType } from 'n8n-workflow';
import { DataAcuityPostgres } from './DataAcuityPostgres.credentials';

/**
 * The apps' analytics_db login for PushBack (design doc §9, pushback_user in §10.2). n8n lets a node ask for each
 * credential type once and PushBack reads the warehouse and writes analytics_db in one execution, so analytics_db
 * gets its own type: DataAcuity Postgres (fields, icon) under another name. The login needs CREATE on the database
 * (it creates the app schemas), and CREATEROLE only if the app roles are not created by a DBA beforehand.
 */
export class DataAcuityPostgresAnalytics extends DataAcuityPostgres implements ICredentialType {
	name = 'dataAcuityPostgresAnalytics';

	displayName = 'DataAcuity Postgres Analytics DB';

	// n8n's lint wants every credential class to name its documentation itself.
	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';
}
