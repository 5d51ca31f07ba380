import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS_DIR, e2eState, isCI } from './e2eState';
import { n8nCliOk, parseRawOutput, runN8nCli, startN8nProcess, type N8nInstance } from './n8nProcess';
import { N8nRest } from './rest';
import { linkNodesFolder } from './packInstall';
import { n8nRuntimes, REPO_ROOT, type N8nRuntime } from './runtimes';

export const WORKFLOWS_DIR = path.join(REPO_ROOT, 'workflows');

/** The ids the shipped workflows carry, kept on `import:workflow` so the parent can call the sub-workflow by id. */
export const WORKFLOW_IDS = { extractLoad: 'dwhExtractLoad01', loadBronze: 'dwhLoadBronze001' } as const;

/**
 * A fresh n8n user folder for one runtime with the pack installed as the README says (the globalSetup's install for
 * that runtime, linked). Throws when the runtime is missing and CI=true; returns null otherwise so the caller can skip.
 */
export function newInstance(key: N8nRuntime['key'], name: string, env: Record<string, string> = {}): N8nInstance | null {
	const st = e2eState();
	if (!st.runtimes[key].available) {
		if (isCI()) throw new Error(`${n8nRuntimes()[key].label} is not available: ${st.runtimes[key].reason}`);
		return null;
	}
	const userFolder = path.join(st.runDir, `${name}-${randomBytes(3).toString('hex')}`);
	mkdirSync(userFolder, { recursive: true });
	const nodesDir = st.nodesDirs[key];
	if (!nodesDir) throw new Error(`${n8nRuntimes()[key].label}: the README install did not run (runtime unavailable)`);
	linkNodesFolder(nodesDir, userFolder);
	return { runtime: n8nRuntimes()[key], userFolder, encryptionKey: randomBytes(24).toString('hex'), env, logDir: path.join(ARTIFACTS_DIR, 'logs', name) };
}

/** The workflows/ files named (every one when none is named), as paths. */
export function shippedWorkflowFiles(...names: string[]): string[] {
	return (
		names.length
			? names
			: readdirSync(WORKFLOWS_DIR)
					.filter((f) => f.endsWith('.json'))
					.sort()
	).map((f) => path.join(WORKFLOWS_DIR, f));
}

/**
 * n8n 2.x runs the PUBLISHED version of a workflow that a production execution (CLI, schedule, webhook) calls as a
 * sub-workflow or as its error workflow: an imported, unpublished sub-workflow fails with "Workflow is not active and
 * cannot be executed", an unpublished error workflow is never run (n8n logs the same). n8n 1.x has no such step.
 * Publishes with the CLI, as docs/n8n-runtime.md tells an operator to. `publish:workflow` only marks the workflow:
 * the n8n main applies the publication when it (next) runs, so a server started afterwards must
 * `N8nRest.waitForPublished` these ids before they are called; with `apply`, a main is started here for that and stopped
 * (for files that only run `execute --id`, which never applies a publication: measured on 2.41).
 */
export async function publishOn2x(inst: N8nInstance, ids: string[], opts: { apply?: boolean } = {}): Promise<void> {
	if (inst.runtime.key !== 'n8n2' || !ids.length) return;
	for (const id of ids) await n8nCliOk(inst, ['publish:workflow', `--id=${id}`]);
	if (!opts.apply) return;
	const server = await startN8nProcess(inst, 'start', { name: 'apply-publications' });
	try {
		const rest = new N8nRest(server.baseUrl);
		await rest.setupOwner();
		for (const id of ids) await rest.waitForPublished(id);
	} finally {
		await server.stop();
	}
}

/** The ids of the workflows the given ones call through an Execute Workflow node. */
export function calledWorkflowIds(workflows: WorkflowJson[]): string[] {
	const ids = workflows.flatMap((w) =>
		w.nodes.filter((n) => n.type === 'n8n-nodes-base.executeWorkflow').map((n) => (n.parameters.workflowId as { value?: string } | undefined)?.value ?? ''),
	);
	return [...new Set(ids.filter(Boolean))].sort();
}

/** Imports workflow JSON unchanged, one file per `import:workflow` (the way a user imports an exported file). */
export async function importWorkflowFiles(inst: N8nInstance, files: string[]): Promise<void> {
	for (const file of files) await n8nCliOk(inst, ['import:workflow', `--input=${file}`]);
}

/** Imports a workflow built by a test (written to the instance's scratch folder first). */
export async function importWorkflowObject(inst: N8nInstance, workflow: Record<string, unknown>): Promise<void> {
	const dir = path.join(inst.userFolder, 'import');
	mkdirSync(dir, { recursive: true });
	const file = path.join(dir, `workflow-${randomBytes(4).toString('hex')}.json`);
	writeFileSync(file, JSON.stringify(workflow, null, 2));
	await importWorkflowFiles(inst, [file]);
}

export function readWorkflow(file: string): WorkflowJson {
	return JSON.parse(readFileSync(file, 'utf8')) as WorkflowJson;
}

export interface WorkflowNodeJson {
	id?: string;
	name: string;
	type: string;
	typeVersion: number;
	position: [number, number];
	parameters: Record<string, unknown>;
	credentials?: Record<string, { id: string | null; name: string }>;
	disabled?: boolean;
	onError?: string;
	[k: string]: unknown;
}

export interface WorkflowJson {
	id?: string;
	name: string;
	nodes: WorkflowNodeJson[];
	connections: Record<string, { main: Array<Array<{ node: string; type: string; index: number }>> }>;
	settings?: Record<string, unknown>;
	[k: string]: unknown;
}

/** What `n8n execute --rawOutput` returns (the parts the tests read). */
export interface RunOutput {
	data: {
		resultData: {
			runData: Record<string, Array<{ data?: { main: Array<Array<{ json: Record<string, unknown> }> | null> }; error?: { message: string } }>>;
			error?: { message: string };
			lastNodeExecuted?: string;
		};
	};
	status?: string;
	finished?: boolean;
}

export interface ExecuteResult {
	ok: boolean;
	code: number | null;
	output: RunOutput | null;
	stdout: string;
	stderr: string;
}

/** `n8n execute --id=… --rawOutput`: the supported headless run (never `execute --file`, which exits 0 on failure). */
export async function executeWorkflow(inst: N8nInstance, id: string, opts: { timeoutMs?: number } = {}): Promise<ExecuteResult> {
	const r = await runN8nCli(inst, ['execute', `--id=${id}`, '--rawOutput'], { timeoutMs: opts.timeoutMs ?? 300_000 });
	mkdirSync(inst.logDir, { recursive: true });
	writeFileSync(path.join(inst.logDir, `execute-${id}-${Date.now()}.log`), `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
	let output: RunOutput | null = null;
	try {
		output = parseRawOutput(r.stdout) as RunOutput;
	} catch {
		output = null;
	}
	return { ok: r.code === 0 && output !== null, code: r.code, output, stdout: r.stdout, stderr: r.stderr };
}

/** The JSON of every item a node emitted on its first output in the run. */
export function nodeItems(run: RunOutput, nodeName: string, output = 0): Array<Record<string, unknown>> {
	const runs = run.data.resultData.runData[nodeName];
	if (!runs) throw new Error(`node "${nodeName}" did not run; ran: ${Object.keys(run.data.resultData.runData).join(', ')}`);
	return runs.flatMap((r) => (r.data?.main[output] ?? []).map((i) => i.json));
}

/** executeWorkflow for a run that must succeed: its output, or an error with the run's exit, stdout and stderr. */
export async function runWorkflow(inst: N8nInstance, id: string, opts: { timeoutMs?: number } = {}): Promise<RunOutput> {
	const r = await executeWorkflow(inst, id, opts);
	if (!r.ok) throw new Error(describeRun(r));
	return r.output!;
}

export function describeRun(r: ExecuteResult): string {
	return `exit ${r.code}\nstdout (tail):\n${r.stdout.slice(-5000)}\nstderr (tail):\n${r.stderr.slice(-3000)}`;
}

export { n8nCliOk };
