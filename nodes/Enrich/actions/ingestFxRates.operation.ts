import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { ingestFxRates } from '../../../src/enrich/fxIngest';
import { n8nFetch } from '../../shared/httpRequest';
import { executeItems } from '../../shared/items';
import { enrichResources, list } from './common.descriptions';
import { forOperation } from '../../shared/descriptions';
import { requiredText, textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Ingest FX Rates',
	value: 'ingestFxRates',
	action: 'Ingest daily FX rates',
	description: 'Daily ZAR/USD/EUR/GBP/BTC rates from an exchangerate.host-compatible API',
};

const properties: INodeProperties[] = [
	requiredText('FX API Base URL', 'fxBaseUrl', {
		placeholder: 'http://127.0.0.1:8089',
		description: 'Root of an exchangerate.host-compatible API (GET /timeseries)',
	}),
	requiredText('From Date', 'fxFrom', { placeholder: '2026-01-01' }),
	requiredText('To Date', 'fxTo', { placeholder: '2026-01-31' }),
	textParameter('Currencies', 'fxCurrencies', { default: 'USD,EUR,GBP,BTC', description: 'Comma-separated; stored as units per ZAR' }),
];

export const description = forOperation(option, properties);

/** Daily rates from an exchangerate.host-compatible API, through n8n's request helper (proxies apply). */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, enrichResources(this), async ({ pool, keys }, i) => ({
		...(await ingestFxRates(
			pool,
			{
				baseUrl: this.getNodeParameter('fxBaseUrl', i) as string,
				accessKey: keys.fxAccessKey ?? '',
				from: this.getNodeParameter('fxFrom', i) as string,
				to: this.getNodeParameter('fxTo', i) as string,
				currencies: list(this.getNodeParameter('fxCurrencies', i, 'USD,EUR,GBP,BTC') as string),
			},
			n8nFetch(this),
		)),
	}));
}
