import { randomUUID } from 'node:crypto';
import {
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type IExecuteFunctions,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type INodeType,
	type INodeTypes,
} from 'n8n-workflow';
import type { ObjectStoreConfig, PostgresConnection } from '../../../src/config/connection.schema';

/**
 * A small but real-shaped n8n execution context: parameters get their defaults from the node description and
 * expressions are resolved by n8n-workflow's own Workflow/Expression against the input items, credentials are
 * only handed out for types the node declares — so a node that works here reads its parameters and
 * credentials the way n8n will give them. The real-runtime tests (test/e2e) cover n8n itself.
 */
export interface NodeRun {
	nodeType: INodeType;
	parameters?: INodeParameters;
	credentials: Record<string, ICredentialDataDecryptedObject>;
	input?: INodeExecutionData[];
	continueOnFail?: boolean;
	executionId?: string;
}

export interface PreparedNode {
	node: INode;
	workflow: Workflow;
	fns: IExecuteFunctions & ILoadOptionsFunctions;
	logs: string[];
}

export function prepareNode(run: NodeRun): PreparedNode {
	const desc = run.nodeType.description;
	const nodeTypes: INodeTypes = {
		getByName: () => run.nodeType,
		getByNameAndVersion: () => run.nodeType,
		getKnownTypes: () => ({}),
	};
	const node: INode = {
		id: randomUUID(),
		name: desc.defaults.name ?? desc.displayName,
		type: `n8n-nodes-dataacuity.${desc.name}`,
		typeVersion: 1,
		position: [0, 0],
		parameters: run.parameters ?? {},
		continueOnFail: run.continueOnFail,
		// As in n8n, the node lists the credentials selected for it.
		credentials: Object.fromEntries(Object.keys(run.credentials).map((type) => [type, { id: `cred-${type}`, name: type }])),
	};
	const workflow = new Workflow({ id: 'wf-node-test', nodes: [node], connections: {}, active: false, nodeTypes });
	const wfNode = workflow.getNode(node.name)!;
	const input = run.input ?? [{ json: {} }];
	const executionId = run.executionId ?? String(Math.floor(Math.random() * 1e9));
	const logs: string[] = [];
	const allowed = new Set((desc.credentials ?? []).map((c) => c.name));
	const fns = {
		getNode: () => wfNode,
		getWorkflow: () => ({ id: workflow.id, name: 'node test', active: false }),
		getInputData: () => input,
		getExecutionId: () => executionId,
		continueOnFail: () => run.continueOnFail === true,
		getMode: () => 'manual',
		logger: {
			info: (m: string) => logs.push(m),
			debug: (m: string) => logs.push(m),
			warn: (m: string) => logs.push(m),
			error: (m: string) => logs.push(m),
		},
		getNodeParameter(name: string, itemIndex = 0, fallback?: unknown) {
			const raw = NodeHelpers.getParameterValueByPath(wfNode.parameters, name, '');
			if (raw === undefined) {
				if (arguments.length >= 3) return fallback;
				throw new Error(`Could not get parameter "${name}"`);
			}
			const value = workflow.expression.getParameterValue(raw as never, null, 0, itemIndex, wfNode.name, input, 'manual', {});
			return value === undefined && arguments.length >= 3 ? fallback : value;
		},
		helpers: {
			/**
			 * n8n's request helper for the options nodes/shared/httpRequest.ts passes: statuses are not thrown, the
			 * full response is returned, the body as text. Real n8n (axios, proxies) is covered by test/e2e.
			 */
			async httpRequest(o: IHttpRequestOptions) {
				const res = await fetch(o.url, {
					method: o.method,
					headers: o.headers as Record<string, string>,
					body: o.body as string | undefined,
					signal: o.abortSignal,
				});
				const body = o.encoding === 'text' ? await res.text() : await res.json();
				if (!o.ignoreHttpStatusErrors && !res.ok) throw new Error(`Request failed with status code ${res.status}`);
				return o.returnFullResponse ? { statusCode: res.status, statusMessage: res.statusText, headers: Object.fromEntries(res.headers), body } : body;
			},
		},
		getCurrentNodeParameter: (name: string) => NodeHelpers.getParameterValueByPath(wfNode.parameters, name, ''),
		async getCredentials(type: string) {
			if (!allowed.has(type)) throw new Error(`Node "${wfNode.name}" does not declare credentials of type "${type}"`);
			const data = run.credentials[type];
			if (!data) throw new Error(`Node "${wfNode.name}" has no credentials of type "${type}" set`);
			return structuredClone(data);
		},
	};
	return { node: wfNode, workflow, fns: fns as unknown as IExecuteFunctions & ILoadOptionsFunctions, logs };
}

export async function executeNode(run: NodeRun): Promise<INodeExecutionData[][]> {
	const { fns } = prepareNode(run);
	return run.nodeType.execute!.call(fns) as Promise<INodeExecutionData[][]>;
}

/** Credential data as the n8n editor stores it (string/number/boolean fields named as in the credential). */
export function postgresCredential(c: PostgresConnection): ICredentialDataDecryptedObject {
	return {
		host: c.host,
		port: c.port,
		database: c.database,
		user: c.user,
		password: c.password,
		sslMode: c.sslMode,
		sslCa: '',
		maxConnections: c.maxConnections,
		statementTimeoutMs: c.statementTimeoutMs,
		applicationName: 'n8n-node-test',
	};
}

export function objectStoreCredential(s: ObjectStoreConfig): ICredentialDataDecryptedObject {
	return {
		endpoint: s.endpoint ?? '',
		region: s.region,
		accessKeyId: s.accessKeyId,
		secretAccessKey: s.secretAccessKey,
		bucket: s.bucket,
		prefix: s.prefix,
		forcePathStyle: s.forcePathStyle,
		checksumMode: s.checksumMode,
	};
}
