import path from 'node:path';
import type { INodeTypeDescription } from 'n8n-workflow';
import { isCI } from './harness/e2eState';
import {
	importWorkflowFiles,
	importWorkflowObject,
	newInstance,
	nodeItems,
	publishOn2x,
	readWorkflow,
	runWorkflow,
	shippedWorkflowFiles,
	WORKFLOW_IDS,
	type WorkflowJson,
} from './harness/instance';
import { startN8nProcess, type N8nInstance, type N8nServer } from './harness/n8nProcess';
import { CREDENTIALS, createPipeline, type E2ePipeline } from './harness/pipeline';
import { resolveProblems, type ResolveContext, type StoredCredential } from './harness/resolveCheck';
import { N8nRest } from './harness/rest';
import { n8nRuntimes, type N8nRuntime } from './harness/runtimes';
import { createSourceTables, expectBronzeEqualsSource, insertCustomers, insertPayments } from './harness/warehouseChecks';

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
		await createSourceTables(pipeline.src);
		await insertCustomers(pipeline.src, 1, 120);
		await insertPayments(pipeline.src, 80);
		for (const [t, strategy, wm] of [
			['customers', 'upsert', 'updated_at'],
			['payments', 'append', 'created_at'],
		] as const) {
			await pipeline.register({
				source_table: t,
				mode: 'incremental',
				load_strategy: strategy,
				watermark_column: wm,
				key_columns: ['id'],
				cadence: '5 minutes',
			});
		}
		await pipeline.importCredentials(inst);
		await importWorkflowFiles(inst, files);
		// n8n 2.x calls the PUBLISHED version of a sub-workflow from a CLI execution (publishOn2x); the main applies it.
		await publishOn2x(inst, [WORKFLOW_IDS.loadBronze]);
		server = await startN8nProcess(inst, 'start', { name: `import-${key}-main` });
		const rest = new N8nRest(server.baseUrl);
		await rest.setupOwner();
		if (key === 'n8n2') await rest.waitForPublished(WORKFLOW_IDS.loadBronze);
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
		test(
			name,
			async () => {
				if (!inst) {
					// Only reachable off CI (newInstance throws under CI=true): say loudly why nothing was checked.
					console.warn(`SKIPPED ${name}: ${label} is not installed (run test/e2e/install-n8n.sh)`);
					expect(isCI()).toBe(false);
					return;
				}
				await fn();
			},
			TIMEOUT,
		);

	maybe('loads every node and credential of the pack under the community-package name', () => {
		const pack = ctx.nodeTypes.filter((d) => d.name.startsWith('n8n-nodes-dataacuity.')).map((d) => d.name);
		expect(pack).toEqual(expect.arrayContaining(['n8n-nodes-dataacuity.watermarkExtract', 'n8n-nodes-dataacuity.blobLoadBronze']));
		for (const c of Object.values(CREDENTIALS)) expect(ctx.credentialTypes.map((t) => t.name)).toContain(c.type);
	});

	maybe('the shipped workflows reference credentials only by the documented names', () => {
		const documented = new Set(Object.values(CREDENTIALS).map((c) => `${c.type} / ${c.name}`));
		for (const f of files) {
			for (const n of readWorkflow(f).nodes) {
				for (const [type, ref] of Object.entries(n.credentials ?? {})) {
					expect({
						file: path.basename(f),
						node: n.name,
						credential: `${type} / ${ref.name}`,
						documented: documented.has(`${type} / ${ref.name}`),
					}).toMatchObject({ documented: true });
				}
			}
		}
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

	// The check itself must be able to fail: a copy with a misspelt parameter, an unknown credential name, a
	// wrong option value and a sub-workflow that does not exist is imported the same way and must be reported.
	maybe('reports what does not resolve (a deliberately broken copy)', async () => {
		if (key !== 'n8n1') return;
		const broken = readWorkflow(files.find((f) => f.endsWith('dwh-extract-load.json'))!);
		broken.id = 'dwhBrokenCopy001';
		broken.name = 'broken copy';
		const extract = broken.nodes.find((n) => n.name === 'Watermark Extract')!;
		extract.parameters.selection = 'everything';
		extract.parameters.tabel = 'x';
		extract.credentials!.dataAcuityPostgres = { id: null, name: 'DataAcuity Nowhere' };
		const call = broken.nodes.find((n) => n.name === 'Load each table')!;
		(call.parameters.workflowId as { value: string }).value = 'noSuchWorkflow01';
		await importWorkflowObject(inst!, broken);
		const rest = new N8nRest(server!.baseUrl);
		await rest.login();
		const stored = (await rest.request<WorkflowJson>('GET', `/rest/workflows/${broken.id}`)).data;
		const problems = resolveProblems(ctx, stored).join('\n');
		expect(problems).toContain('Watermark Extract: parameter "selection" = "everything" is not one of');
		expect(problems).toContain('Watermark Extract: unknown parameter "tabel"');
		expect(problems).toContain('credential "DataAcuity Nowhere" (dataAcuityPostgres) did not resolve');
		expect(problems).toContain('Load each table: "workflowId" points at workflow "noSuchWorkflow01", which was not imported');
	});

	// The pack does not only load: it runs. (n8n 1.123 runs are covered in depth by extractLoad.test.ts.)
	maybe('dwh-extract-load runs headlessly (execute --id beside the running server) and fills bronze', async () => {
		const run = await runWorkflow(inst!, WORKFLOW_IDS.extractLoad);
		expect(
			nodeItems(run, 'Load each table')
				.map((i) => [i.status, i.rowsInserted])
				.sort(),
		).toEqual([
			['loaded', 120],
			['loaded', 80],
		]);
		const db = pipeline!.source.database;
		expect(await expectBronzeEqualsSource(pipeline!.src, pipeline!.wh, 'customers', `${db}__customers`, ['id'])).toBe(120);
		expect(await expectBronzeEqualsSource(pipeline!.src, pipeline!.wh, 'payments', `${db}__payments`, ['id'])).toBe(80);
	});
});
