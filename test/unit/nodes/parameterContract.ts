import type { INodeProperties, INodePropertyCollection, INodePropertyOptions, INodeType, INodeTypeDescription } from 'n8n-workflow';

type Option = INodePropertyOptions | INodeProperties | INodePropertyCollection;

/**
 * What a saved workflow depends on in a node's description: each parameter's name, type, default, required flag,
 * option values, type options and when it is shown. Labels and help texts are free to change; these are not.
 */
export function parameterContract(description: INodeTypeDescription) {
	return {
		name: description.name,
		version: description.version,
		credentials: (description.credentials ?? []).map((c) => ({ name: c.name, required: c.required ?? false, displayOptions: c.displayOptions ?? null })),
		// Sorted: saved workflows find parameters by name; only the order within one operation shows, and each
		// operation's parameters are listed by its own file.
		properties: description.properties.map(property).sort((a, b) => key(a).localeCompare(key(b))),
	};
}

const key = (p: Record<string, unknown>) => `${p.name} ${stable(p.displayOptions)}`;

/** JSON with object keys sorted, so two equal display rules give one sort key whatever order they were built in. */
function stable(v: unknown): string {
	if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
	if (v && typeof v === 'object') {
		return `{${Object.entries(v as Record<string, unknown>)
			.sort(([a], [b]) => a.localeCompare(b))
			.map(([k, x]) => `${JSON.stringify(k)}:${stable(x)}`)
			.join(',')}}`;
	}
	return JSON.stringify(v);
}

function property(p: INodeProperties): Record<string, unknown> {
	return {
		name: p.name,
		type: p.type,
		default: p.default,
		required: p.required ?? false,
		noDataExpression: p.noDataExpression ?? false,
		displayOptions: p.displayOptions ?? null,
		typeOptions: p.typeOptions ?? null,
		options: (p.options ?? []).map(option),
	};
}

function option(o: Option): unknown {
	if ('value' in o) return o.value;
	if ('type' in o) return property(o);
	return { name: o.name, values: o.values.map(property) };
}

type Contract = ReturnType<typeof parameterContract>;
type ContractProperty = Contract['properties'][number] & { displayOptions: INodeProperties['displayOptions'] | null };

/**
 * One entry per parameter and operation that shows it, sorted. To a saved workflow a parameter shown for two
 * operations is the same as one copy of it in each operation's file (n8n's own nodes define it per operation): the
 * name, type, default and options the workflow meets under each operation are what must not change.
 */
export function perOperation(contracts: Record<string, Contract>): Record<string, Contract> {
	return Object.fromEntries(
		Object.entries(contracts).map(([node, c]) => [
			node,
			{ ...c, properties: (c.properties as ContractProperty[]).flatMap(splitByOperation).sort((a, b) => key(a).localeCompare(key(b))) },
		]),
	);
}

function splitByOperation(p: ContractProperty): ContractProperty[] {
	const operations = p.displayOptions?.show?.operation;
	if (!Array.isArray(operations) || operations.length < 2) return [p];
	return operations.map((operation) => ({ ...p, displayOptions: { ...p.displayOptions, show: { ...p.displayOptions!.show, operation: [operation] } } }));
}

export function contractsOf(nodes: Record<string, new () => INodeType>) {
	return Object.fromEntries(Object.entries(nodes).map(([name, Node]) => [name, parameterContract(new Node().description)]));
}
