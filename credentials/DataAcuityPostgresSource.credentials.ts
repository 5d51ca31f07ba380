import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { noticeParameter } from '../nodes/shared/parameters';
import { DataAcuityPostgres, dataAcuityPostgresProperties } from './DataAcuityPostgres.credentials';

/**
 * The read-only source replica login. n8n lets a node ask for each credential type once, and WatermarkExtract
 * needs the replica and the warehouse at the same time, so the replica gets its own type with the same fields.
 * A separate type also keeps the editor from offering the warehouse owner login where the replica belongs.
 * Like DataAcuityPostgresAnalytics it is DataAcuity Postgres under another name, here with its own icon and a
 * notice above the fields.
 */
export class DataAcuityPostgresSource extends DataAcuityPostgres implements ICredentialType {
	name = 'dataAcuityPostgresSource';

	displayName = 'DataAcuity Postgres Source Replica';

	icon: Icon = 'file:dataAcuityPostgresSource.svg';

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity#credentials';

	properties: INodeProperties[] = [
		noticeParameter(
			'replicaNotice',
			'One replica login serves every source database: each registered table names its own source database, which the extract connects to with this login. Database below is only what the Test button connects to. The login needs SELECT on the registered tables and pg_read_all_stats.',
		),
		...dataAcuityPostgresProperties,
	];
}
