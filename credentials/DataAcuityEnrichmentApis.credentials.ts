import type { ICredentialType, INodeProperties } from 'n8n-workflow';
import { secretParameter } from '../nodes/shared/parameters';

/**
 * API keys of the external services the Enrich node calls: the FX rates API (Ingest FX Rates) and a
 * reverse-geocoding service (Geo family, backend "Geo Service"). Optional: keyless and self-hosted services need
 * none. Kept here, never in node parameters, so keys stay out of workflow JSON and execution data.
 */
export class DataAcuityEnrichmentApis implements ICredentialType {
	name = 'dataAcuityEnrichmentApis';

	displayName = 'DataAcuity Enrichment APIs';

	icon = 'file:dataAcuityEnrichmentApis.svg' as const;

	documentationUrl = 'https://github.com/dataacuity/n8n-nodes-dataacuity/blob/main/docs/enrich.md';

	properties: INodeProperties[] = [
		secretParameter('FX API Access Key', 'fxAccessKey', {
			description: 'Sent as access_key to the exchangerate.host-compatible API of Ingest FX Rates. Leave empty for a keyless API.',
		}),
		secretParameter('Geo Service API Key', 'geoServiceApiKey', {
			description: 'Sent as "Authorization: Bearer …" to the reverse-geocoding service of the Geo family. Leave empty for a keyless service.',
		}),
	];
}
