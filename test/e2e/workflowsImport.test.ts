import path from 'node:path';
import type { INodeTypeDescription } from 'n8n-workflow';
import { isCI } from './harness/e2eState';
import { importWorkflowFiles, newInstance, readWorkflow, shippedWorkflowFiles, type WorkflowJson } from './harness/instance';
import { startN8nProcess, type N8nInstance, type N8nServer } from './harness/n8nProcess';
import { CREDENTIALS, createPipeline, type E2ePipeline } from './harness/pipeline';
import { resolveProblems, type ResolveContext, type StoredCredential } from './harness/resolveCheck';
import { N8nRest } from './harness/rest';
import { n8nRuntimes, type N8nRuntime } from './harness/runtimes';

/**
 * (a) Every file in workflows/ imports unchanged into real n8n — 1.123 on Node 20 and 2.x on Node 24 — and every
 * node type, parameter, credential reference and sub-workflow reference resolves against what that n8n loaded.
 */
const TIMEOUT = 10 * 60_000;

describe.each(['n8n1', 'n8n2'] as const)('workflows/ in %s', (key: N8nRuntime['key']) => {
	const label = n8nRuntimes()[key].label;
	let inst: N8nInstance | null = null;
	let pipeline: E2ePipeline | null = null;
	let server: N8nServer | null = null;
	let ctx: ResolveContext;
	const files = shippedWorkflowFiles();

	beforeAll(async () => {
		inst = newInstance(key, `import-${key}`);
		if (!inst) return;
		pipeline = await createPipeline(`e2e_import_${key}`);
		await pipeline.importCredentials(inst);
		await importWorkflowFiles(inst, files);
		server = await startN8nProcess(inst, 'start', { name: `import-${key}-main` });
		const rest = new N8nRest(server.baseUrl);
		await rest.setupOwner();
		const nodeTypes = (await rest.request<INodeTypeDescription[]>('GET', '/types/nodes.json')).data;
		const credentialTypes = (await rest.request<Array<{ name: string }>>('GET', '/types/credentials.json')).data;
		const credentials = (await rest.request<StoredCredential[]>('GET', '/rest/credentials')).data;
		const workflows = new Map<string, WorkflowJson>();
		for (const f of files) {
			const id = readWorkflow(f).id!;
			const stored = await rest.request<WorkflowJson>('GET', `/rest/workflows/${id}`, undefined, { allowStatus: [404] });
			if (stored.status === 200) workflows.set(id, stored.data);
		}
		ctx = { nodeTypes, credentialTypes, credentials, workflows };
	}, TIMEOUT);

	afterAll(async () => {
		await server?.stop();
		await pipeline?.close();
	}, 60_000);

	const maybe = (name: string, fn: () => void | Promise<void>) =>
		test(name, async () => {
			if (!inst) {
				// Only reachable off CI (newInstance throws under CI=true): say loudly why nothing was checked.
				console.warn(`SKIPPED ${name}: ${label} is not installed (run test/e2e/install-n8n.sh)`);
				expect(isCI()).toBe(false);
				return;
			}
			await fn();
		});

	maybe('loads every node and credential of the pack under the community-package name', () => {
		const pack = ctx.nodeTypes.filter((d) => d.name.startsWith('n8n-nodes-dataacuity.')).map((d) => d.name);
		expect(pack).toEqual(expect.arrayContaining(['n8n-nodes-dataacuity.watermarkExtract', 'n8n-nodes-dataacuity.blobLoadBronze']));
		for (const c of Object.values(CREDENTIALS)) expect(ctx.credentialTypes.map((t) => t.name)).toContain(c.type);
	});

	test.each(files.map((f) => [path.basename(f), f]))('%s imports and resolves', async (_name, file) => {
		if (!inst) {
			console.warn(`SKIPPED: ${label} is not installed`);
			expect(isCI()).toBe(false);
			return;
		}
		const shipped = readWorkflow(file);
		expect(shipped.id).toMatch(/^[A-Za-z0-9]{1,16}$/);
		const stored = ctx.workflows.get(shipped.id!);
		expect(stored).toBeDefined();
		// Imported unchanged: same nodes, types and wiring as the file.
		expect(stored!.nodes.map((n) => [n.name, n.type, n.typeVersion]).sort()).toEqual(shipped.nodes.map((n) => [n.name, n.type, n.typeVersion]).sort());
		expect(stored!.connections).toEqual(shipped.connections);
		// The shipped file names credentials only (no ids from someone's instance).
		for (const n of shipped.nodes) for (const ref of Object.values(n.credentials ?? {})) expect(ref.id).toBeNull();
		expect(resolveProblems(ctx, stored!)).toEqual([]);
	});
});
