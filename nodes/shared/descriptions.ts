import type { INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** The Operation selector a node with several operations starts with, as n8n's own nodes have it. */
export function operationProperty(options: INodePropertyOptions[], defaultOperation: string): INodeProperties {
	return { displayName: 'Operation', name: 'operation', type: 'options', noDataExpression: true, options, default: defaultOperation };
}

/** An "Options" collection: the optional settings of an operation, added one by one in the editor. */
export function optionsCollection(name: string, options: INodeProperties[]): INodeProperties {
	return { displayName: 'Options', name, type: 'collection', placeholder: 'Add option', default: {}, options };
}
