import { NodeHelpers, type INode, type INodeProperties, type INodeTypeDescription } from 'n8n-workflow';
import type { WorkflowJson } from './instance';

export interface StoredCredential {
	id: string;
	name: string;
	type: string;
}

export interface ResolveContext {
	/** Every node type description the running n8n serves to its editor (/types/nodes.json). */
	nodeTypes: INodeTypeDescription[];
	/** Every credential type it knows (/types/credentials.json). */
	credentialTypes: Array<{ name: string }>;
	credentials: StoredCredential[];
	/** Workflows as stored by n8n after import, by id. */
	workflows: Map<string, WorkflowJson>;
}

function versionsOf(d: INodeTypeDescription): number[] {
	return Array.isArray(d.version) ? d.version : [d.version];
}

export function findNodeType(ctx: ResolveContext, type: string, version: number): INodeTypeDescription | undefined {
	return ctx.nodeTypes.find((d) => d.name === type && versionsOf(d).includes(version));
}

const isExpression = (v: unknown) => typeof v === 'string' && v.startsWith('=');

function optionValues(props: INodeProperties[]): Set<unknown> | null {
	const values = new Set<unknown>();
	for (const p of props) {
		if (p.typeOptions?.loadOptionsMethod || p.typeOptions?.loadOptions) return null; // loaded at run time
		for (const o of (p.options ?? []) as Array<{ value?: unknown }>) if ('value' in o) values.add(o.value);
	}
	return values;
}

/**
 * Everything that can fail to resolve when a workflow file is imported into a real n8n, reported as readable
 * problems (empty = fine): unknown node type or version, unknown parameter, option value or collection field,
 * a required parameter the editor would flag, a credential type the node does not take, a credential reference
 * that did not resolve to an existing credential of that name and type, a sub-workflow id or input that does not
 * exist.
 */
export function resolveProblems(ctx: ResolveContext, wf: WorkflowJson): string[] {
	const problems: string[] = [];
	for (const node of wf.nodes) {
		const at = `${wf.name} › ${node.name}`;
		const desc = findNodeType(ctx, node.type, node.typeVersion);
		if (!desc) {
			problems.push(`${at}: node type ${node.type} v${node.typeVersion} is not loaded`);
			continue;
		}
		// Parameters: every key must be a property of that node type, option values must exist.
		for (const [key, value] of Object.entries(node.parameters ?? {})) {
			const props = desc.properties.filter((p) => p.name === key);
			if (!props.length) {
				problems.push(`${at}: unknown parameter "${key}"`);
				continue;
			}
			const optionProps = props.filter((p) => p.type === 'options');
			if (optionProps.length === props.length && !isExpression(value)) {
				const allowed = optionValues(optionProps);
				if (allowed && !allowed.has(value)) problems.push(`${at}: parameter "${key}" = ${JSON.stringify(value)} is not one of ${[...allowed].join(', ')}`);
			}
			const collections = props.filter((p) => p.type === 'collection');
			if (collections.length && value && typeof value === 'object') {
				const fields = new Set(collections.flatMap((c) => ((c.options ?? []) as Array<{ name: string }>).map((o) => o.name)));
				for (const f of Object.keys(value)) if (!fields.has(f)) problems.push(`${at}: "${key}" has no field "${f}"`);
			}
			// Sub-workflow references (a Slack channel is a resource locator too, but no workflow).
			if (props.some((p) => p.type === 'workflowSelector' || (p.type === 'resourceLocator' && key === 'workflowId'))) {
				const id = (value as { value?: unknown }).value;
				if (typeof id !== 'string' || !ctx.workflows.has(id)) problems.push(`${at}: "${key}" points at workflow ${JSON.stringify(id)}, which was not imported`);
			}
		}
		const typed = { ...node, parameters: node.parameters, credentials: undefined } as unknown as INode;
		const full = NodeHelpers.getNodeParameters(desc.properties, node.parameters as never, true, false, typed, desc);
		const issues = NodeHelpers.getNodeParametersIssues(desc.properties, { ...typed, parameters: full ?? {} } as INode, desc);
		for (const [param, msgs] of Object.entries(issues?.parameters ?? {})) problems.push(`${at}: parameter "${param}": ${msgs.join('; ')}`);

		// Credentials: declared by the node type, resolved at import to an existing credential of that name.
		const declared = new Set((desc.credentials ?? []).map((c) => c.name));
		for (const [type, ref] of Object.entries(node.credentials ?? {})) {
			if (!declared.has(type)) problems.push(`${at}: node type does not take credential type ${type}`);
			if (!ctx.credentialTypes.some((c) => c.name === type)) problems.push(`${at}: credential type ${type} is not loaded`);
			const stored = ctx.credentials.find((c) => c.id === ref?.id);
			if (!ref?.id || !stored)
				problems.push(`${at}: credential "${ref?.name}" (${type}) did not resolve to an existing credential (id ${JSON.stringify(ref?.id)})`);
			else if (stored.type !== type || stored.name !== ref.name)
				problems.push(`${at}: credential ${ref.id} is "${stored.name}" (${stored.type}), not "${ref.name}" (${type})`);
		}
		for (const c of desc.credentials ?? []) {
			if (c.required && !c.displayOptions && !node.credentials?.[c.name]) problems.push(`${at}: required credential ${c.name} is not set`);
		}

		// Sub-workflow inputs: each mapped input must be declared by the called workflow's trigger.
		if (node.type === 'n8n-nodes-base.executeWorkflow') {
			const id = (node.parameters.workflowId as { value?: string } | undefined)?.value;
			const target = id ? ctx.workflows.get(id) : undefined;
			const trigger = target?.nodes.find((n) => n.type === 'n8n-nodes-base.executeWorkflowTrigger');
			const declaredInputs = new Set(
				((trigger?.parameters.workflowInputs as { values?: Array<{ name: string }> } | undefined)?.values ?? []).map((v) => v.name),
			);
			const mapped = Object.keys(((node.parameters.workflowInputs as { value?: Record<string, unknown> } | undefined)?.value ?? {}) as object);
			if (target && !trigger) problems.push(`${at}: workflow ${id} has no Execute Workflow Trigger`);
			for (const input of mapped) if (trigger && !declaredInputs.has(input)) problems.push(`${at}: input "${input}" is not declared by ${target!.name}`);
		}
	}
	// Connections must name nodes that exist.
	const names = new Set(wf.nodes.map((n) => n.name));
	for (const [from, outs] of Object.entries(wf.connections ?? {})) {
		if (!names.has(from)) problems.push(`${wf.name}: connection from unknown node "${from}"`);
		for (const branch of outs.main ?? [])
			for (const c of branch ?? []) if (!names.has(c.node)) problems.push(`${wf.name}: connection to unknown node "${c.node}"`);
	}
	return problems;
}
