import type { ICredentialDataDecryptedObject, IExecuteFunctions } from 'n8n-workflow';
import type pg from 'pg';
import type { FamiliesInput } from '../../../src/enrich/config.schema';
import { ENRICHMENT_APIS_CREDENTIAL } from '../../shared/credentialTypes';
import type { Resources } from '../../shared/items';
import { postgresPool } from '../../shared/resources';
import { familiesFromParameters, type EnrichmentApiKeys, type FamilyParameters } from '../familyParameters';
import { familyProperties } from './family.descriptions';

/** The family parameters of item `i` as the core's families config; keys come from the optional credential. */
export function familiesOf(fns: IExecuteFunctions, i: number, keys: EnrichmentApiKeys): FamiliesInput {
	const p: Record<string, unknown> = { families: fns.getNodeParameter('families', i, []) as FamilyParameters['families'] };
	for (const prop of familyProperties) if (prop.name !== 'families') p[prop.name] = fns.getNodeParameter(prop.name, i, prop.default);
	return familiesFromParameters(p as unknown as FamilyParameters, keys);
}

export const list = (s: string) =>
	s
		.split(',')
		.map((x) => x.trim())
		.filter(Boolean);

/** The warehouse pool, and the FX / geo keys when a DataAcuity Enrichment APIs credential is selected. */
export function enrichResources(fns: IExecuteFunctions): Resources<{ pool: pg.Pool; keys: EnrichmentApiKeys }> {
	const warehouse = postgresPool(fns, 'enrich');
	return {
		open: async (scope) => {
			// Only read when selected: getCredentials throws for a credential the node has none of.
			const keys: EnrichmentApiKeys = {};
			if (fns.getNode().credentials?.[ENRICHMENT_APIS_CREDENTIAL]) {
				const c = await fns.getCredentials<ICredentialDataDecryptedObject>(ENRICHMENT_APIS_CREDENTIAL);
				keys.fxAccessKey = typeof c.fxAccessKey === 'string' ? c.fxAccessKey : '';
				keys.geoServiceApiKey = typeof c.geoServiceApiKey === 'string' ? c.geoServiceApiKey : '';
			}
			return { pool: await warehouse.open(scope), keys };
		},
		close: ({ pool }) => warehouse.close(pool),
	};
}
