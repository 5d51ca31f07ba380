import { updateDisplayOptions } from 'n8n-workflow';
import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';
import { loadPlaces } from '../../../src/enrich/loadPlaces';
import { executeItems } from '../../shared/items';
import { enrichResources, list } from './common.descriptions';
import { forOperation, showWhen } from '../../shared/descriptions';
import { optionsParameter, requiredText, textParameter } from '../../shared/parameters';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Load Places',
	value: 'loadPlaces',
	action: 'Load places for reverse geocoding',
	description: 'Fill marts.dim_places from GeoNames data (bundled or a cities*.txt file)',
};

const properties: INodeProperties[] = [
	optionsParameter('Places Source', 'placesSource', { default: 'bundled' }, [
		{ name: 'Bundled (GeoNames Cities1000)', value: 'bundled', description: 'Offline: ~135k places shipped with this package' },
		{ name: 'GeoNames File', value: 'file', description: 'A cities*.txt file on the n8n host' },
	]),
	...updateDisplayOptions(showWhen('placesSource', 'file'), [
		requiredText('Cities File', 'citiesFile', { placeholder: '/data/geonames/cities1000.txt' }),
		textParameter('Admin1 Codes File', 'admin1File', { placeholder: '/data/geonames/admin1CodesASCII.txt' }),
		textParameter('Admin2 Codes File', 'admin2File', { placeholder: '/data/geonames/admin2Codes.txt' }),
	]),
	textParameter('Only Countries', 'placesCountries', { description: 'Comma-separated ISO codes; empty loads every country' }),
];

export const description = forOperation(option, properties);

/** Fills marts.dim_places (reverse geocoding) from GeoNames data. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[]> {
	return executeItems(this, enrichResources(this), async ({ pool }, i) => {
		const source = this.getNodeParameter('placesSource', i, 'bundled') as 'bundled' | 'file';
		const file = (name: string) => (source === 'file' ? (this.getNodeParameter(name, i, '') as string) || undefined : undefined);
		const countries = list(this.getNodeParameter('placesCountries', i, '') as string);
		return {
			...(await loadPlaces(pool, { source, citiesFile: file('citiesFile'), admin1File: file('admin1File'), admin2File: file('admin2File'), countries })),
		};
	});
}
