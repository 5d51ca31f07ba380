import type { INodeProperties, INodePropertyOptions, NodeParameterValueType } from 'n8n-workflow';

/*
 * Node parameters and credential fields by type, for nodes/ and credentials/ alike (so this file imports only types
 * from n8n-workflow). Each writes the keys in the order n8n's own nodes do and this pack's literals did: label,
 * name, type, the type's own settings, default, then what the caller adds, in its order; the editor receives the
 * same description as from a literal (test/unit/nodes/descriptionSnapshot.test.ts). n8n's lint recognises a
 * parameter by its literal displayName/name/type/default keys and so does not see what these build;
 * test/unit/nodes/descriptionLint.test.ts runs the same rules over the built descriptions instead.
 */
type Extra = Omit<Partial<INodeProperties>, 'displayName' | 'name' | 'type'>;

function parameter(displayName: string, name: string, type: INodeProperties['type'], byDefault: NodeParameterValueType, extra: Extra): INodeProperties {
	const { noDataExpression, typeOptions, options, default: given, ...rest } = extra;
	const head = { ...(noDataExpression === undefined ? {} : { noDataExpression }), ...(typeOptions ? { typeOptions } : {}), ...(options ? { options } : {}) };
	return { displayName, name, type, ...head, default: given === undefined ? byDefault : given, ...rest };
}

/** A text parameter; empty unless `extra.default` says otherwise. */
export const textParameter = (displayName: string, name: string, extra: Extra = {}) => parameter(displayName, name, 'string', '', extra);

/** A text parameter the user must fill in. */
export const requiredText = (displayName: string, name: string, extra: Extra = {}) => textParameter(displayName, name, { required: true, ...extra });

/** A secret: masked in the editor (n8n's password type option) and empty by default. */
export const secretParameter = (displayName: string, name: string, extra: Extra = {}) =>
	textParameter(displayName, name, { ...extra, typeOptions: { password: true, ...extra.typeOptions } });

/** A number parameter; every one has its own default, there is no neutral number. */
export const numberParameter = (displayName: string, name: string, byDefault: number, extra: Extra = {}) =>
	parameter(displayName, name, 'number', byDefault, extra);

/** A yes/no parameter; n8n's convention is a description starting with "Whether". */
export const booleanParameter = (displayName: string, name: string, byDefault: boolean, description: string, extra: Extra = {}) =>
	parameter(displayName, name, 'boolean', byDefault, { description, ...extra });

/** A choice of one of `options`; `settings` holds its default (and display rule, …), so the choices come last. */
export const optionsParameter = (displayName: string, name: string, settings: Extra & { default: string }, options: INodePropertyOptions[]) =>
	parameter(displayName, name, 'options', settings.default, { ...settings, options });

/** A notice: text shown in the editor (its label), no value. */
export const noticeParameter = (name: string, text: string): INodeProperties => ({ displayName: text, name, type: 'notice', default: '' });
