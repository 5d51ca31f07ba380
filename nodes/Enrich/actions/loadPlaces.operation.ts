import { updateDisplayOptions, type IExecuteFunctions, type INodeExecutionData, type INodeProperties, type INodePropertyOptions } from 'n8n-workflow';
import { loadPlaces } from '../../../src/enrich/loadPlaces';
import { executeItems } from '../../shared/items';
import { enrichResources, list } from './common.descriptions';

/** This operation's entry in the node's Operation list. */
export const option: INodePropertyOptions = {
	name: 'Load Places',
	value: 'loadPlaces',
	action: 'Load places for reverse geocoding',
	description: 'Fill marts.dim_places from GeoNames data (bundled or a cities*.txt file)',
};

const fromFile = { show: { placesSource: ['file'] } };

const properties: INodeProperties[] = [
	{
		displayName: 'Places Source',
		name: 'placesSource',
		type: 'options',
		options: [
			{ name: 'Bundled (GeoNames Cities1000)', value: 'bundled', description: 'Offline: ~135k places shipped with this package' },
			{ name: 'GeoNames File', value: 'file', description: 'A cities*.txt file on the n8n host' },
		],
		default: 'bundled',
	},
	{
		displayName: 'Cities File',
		name: 'citiesFile',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/data/geonames/cities1000.txt',
		displayOptions: fromFile,
	},
	{
		displayName: 'Admin1 Codes File',
		name: 'admin1File',
		type: 'string',
		default: '',
		placeholder: '/data/geonames/admin1CodesASCII.txt',
		displayOptions: fromFile,
	},
	{
		displayName: 'Admin2 Codes File',
		name: 'admin2File',
		type: 'string',
		default: '',
		placeholder: '/data/geonames/admin2Codes.txt',
		displayOptions: fromFile,
	},
	{ displayName: 'Only Countries', name: 'placesCountries', type: 'string', default: '', description: 'Comma-separated ISO codes; empty loads every country' },
];

export const description = updateDisplayOptions({ show: { operation: ['loadPlaces'] } }, properties);

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
