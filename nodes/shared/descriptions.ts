import { updateDisplayOptions } from 'n8n-workflow';
import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** The Operation selector a node with several operations starts with, as n8n's own nodes have it. */
export function operationProperty(options: INodePropertyOptions[], defaultOperation: string): INodeProperties {
	return { displayName: 'Operation', name: 'operation', type: 'options', noDataExpression: true, options, default: defaultOperation };
}

/** An "Options" collection: the optional settings of an operation, added one by one in the editor. */
export function optionsCollection(name: string, options: INodeProperties[]): INodeProperties {
	return { displayName: 'Options', name, type: 'collection', placeholder: 'Add option', default: {}, options };
}

/** An operation's parameters, each shown only under that operation (its entry in the Operation list). */
export function forOperation(operation: INodePropertyOptions, properties: INodeProperties[]): INodeProperties[] {
	return updateDisplayOptions({ show: { operation: [operation.value as string] } }, properties);
}

/** Shown while `parameter` has one of `values`: the display rule of the parameters one choice brings up. */
export function showWhen(parameter: string, ...values: Array<string | boolean>): IDisplayOptions {
	return { show: { [parameter]: values } };
}
