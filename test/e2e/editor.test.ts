import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { INodeTypeDescription } from 'n8n-workflow';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ARTIFACTS_DIR, e2eState, isCI } from './harness/e2eState';
import { importWorkflowFiles, importWorkflowObject, newInstance, readWorkflow, shippedWorkflowFiles } from './harness/instance';
import { startN8nProcess, type N8nInstance, type N8nServer } from './harness/n8nProcess';
import { CREDENTIALS, createPipeline, type E2ePipeline } from './harness/pipeline';
import { N8nRest, OWNER } from './harness/rest';
import type { N8nRuntime } from './harness/runtimes';

/**
 * (d) The editor, as a user sees it: Debian's chromium (headless, loopback only) driven by playwright-core against
 * n8n 1.123 (Node 20) and 2.41 (Node 24), each with the pack installed as the README says. Every node of the pack is found in the node panel by name,
 * opens with its parameters and shows its icon and subtitle; the credential test succeeds against the test servers.
 * Screenshots land in test-artifacts/e2e/editor/<runtime>/.
 */
const TIMEOUT = 10 * 60_000;
const SCRATCH_ID = 'dwhEditorScratch';
const SHOTS = path.join(ARTIFACTS_DIR, 'editor');
const CHROMIUM_FLAGS = [
	'--headless',
	'--no-sandbox',
	'--disable-gpu',
	'--disable-quic',
	'--no-first-run',
	'--disable-background-networking',
	'--disable-component-update',
	'--disable-sync',
];

describe.each(['n8n1', 'n8n2'] as const)('the editor of %s', (key: N8nRuntime['key']) => {
	let inst: N8nInstance | null = null;
	let pipeline: E2ePipeline;
	let server: N8nServer;
	let browser: BrowserContext | null = null;
	let page: Page;
	let packNodes: INodeTypeDescription[] = [];
	const chromiumPath = () => e2eState().chromium;

	const shots = path.join(SHOTS, key);
	const shot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`) });

	beforeAll(async () => {
		if (!chromiumPath()) {
			if (isCI()) throw new Error('chromium is not installed (apt-get install -y chromium; .ci/install.d/n8n.sh does it)');
			return;
		}
		const made = newInstance(key, `editor-${key}`);
		if (!made) return;
		inst = made;
		mkdirSync(shots, { recursive: true });
		pipeline = await createPipeline(`e2e_editor_${key}`);
		await pipeline.importCredentials(inst);
		await importWorkflowFiles(inst, shippedWorkflowFiles());
		// Where a user adds a step: a workflow that already has its trigger (an empty canvas asks for a trigger first).
		await importWorkflowObject(inst, {
			id: SCRATCH_ID,
			name: 'Editor test scratch',
			nodes: [
				{ id: '5c0a7c40-0000-4000-8000-000000000001', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			],
			connections: {},
			settings: { executionOrder: 'v1' },
		});
		server = await startN8nProcess(inst, 'start', { name: `editor-${key}-main` });
		const rest = new N8nRest(server.baseUrl);
		await rest.setupOwner();
		const types = (await rest.request<INodeTypeDescription[]>('GET', '/types/nodes.json')).data;
		packNodes = types.filter((d) => d.name.startsWith('n8n-nodes-dataacuity.'));

		const profile = path.join(inst.userFolder, 'chromium-profile');
		rmSync(profile, { recursive: true, force: true });
		browser = await chromium.launchPersistentContext(profile, {
			executablePath: chromiumPath()!,
			headless: true,
			args: CHROMIUM_FLAGS,
			viewport: { width: 1440, height: 900 },
		});
		page = browser.pages()[0] ?? (await browser.newPage());
		page.setDefaultTimeout(30_000);
		// A person signs in through the form (the owner was created over REST).
		await page.goto(`${server.baseUrl}/signin`);
		await page.fill('input[name="emailOrLdapLoginId"]', OWNER.email);
		await page.fill('input[name="password"]', OWNER.password);
		await page.click('[data-test-id="form-submit-button"]');
		await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
	}, TIMEOUT);

	afterAll(async () => {
		await browser?.close();
		await server?.stop();
		await pipeline?.close();
	}, 60_000);

	function requireChromium(): boolean {
		if (chromiumPath() && inst) return true;
		console.warn(`SKIPPED editor test on ${key}: ${chromiumPath() ? 'the runtime is not installed' : '/usr/bin/chromium is not installed'}`);
		expect(isCI()).toBe(false);
		return false;
	}

	/**
	 * Opens the node panel where a user adds a step, with the canvas' "+" button (1.x also took Tab; 2.x replaced that
	 * shortcut with N and answers Tab with a deprecation notice), and types `search` into its search bar.
	 */
	async function openNodePanel(search: string): Promise<void> {
		await page.goto(`${server.baseUrl}/workflow/${SCRATCH_ID}`);
		await page.waitForSelector('[data-test-id="canvas-node"]');
		await page.click('[data-test-id="node-creator-plus-button"]');
		const bar = page.locator('[data-test-id="node-creator-search-bar"]');
		await bar.waitFor();
		await bar.focus();
		await page.keyboard.type(search);
	}

	/** The node panel's entry named exactly `name`. */
	function listedItem(name: string) {
		const exact = new RegExp(`^\\s*${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
		return page.locator('[data-test-id="node-creator-item-name"]').filter({ hasText: exact }).first();
	}

	/**
	 * Waits until the search results list every name in `names` (the panel filters as the user types, and shows its
	 * categories until then), or 20 s; returns the names it lists then, so a miss fails the expectation that follows.
	 */
	async function waitForListed(names: string[]): Promise<string[]> {
		for (const name of names) {
			const listed = await listedItem(name)
				.waitFor({ timeout: 20_000 })
				.then(() => true)
				.catch(() => false);
			if (!listed) break;
		}
		return (await page.locator('[data-test-id="node-creator-item-name"]').allTextContents()).map((t) => t.trim());
	}

	/** The parameters a freshly added node shows without any other choice made (no displayOptions). */
	function alwaysShownParameters(d: INodeTypeDescription): string[] {
		return d.properties
			.filter((p) => !p.displayOptions && !['notice', 'hidden', 'collection', 'fixedCollection', 'callout'].includes(p.type))
			.map((p) => p.name);
	}

	test('the pack loads all six nodes', () => {
		if (!requireChromium()) return;
		expect(packNodes.map((d) => d.name.replace('n8n-nodes-dataacuity.', '')).sort()).toEqual(
			['anonymise', 'blobLoadBronze', 'dbtRun', 'enrich', 'pushBack', 'watermarkExtract'].sort(),
		);
	});

	test(
		'every pack node is found in the node panel by name and opens with its parameters and icon',
		async () => {
			if (!requireChromium()) return;
			expect(packNodes.length).toBeGreaterThan(0);
			for (const d of packNodes) {
				const short = d.name.replace('n8n-nodes-dataacuity.', '');
				await openNodePanel(d.displayName);
				const found = await waitForListed([d.displayName]);
				await shot(`${short}-1-node-panel`);
				expect(found).toContain(d.displayName);
				const item = listedItem(d.displayName).locator('xpath=ancestor::*[@data-test-id="item-iterator-item"][1]');
				// The panel shows the node's own icon, served by n8n from the installed package.
				const panelIcon = await item.locator('img').first().getAttribute('src');
				expect(panelIcon).toMatch(new RegExp(`^/icons/n8n-nodes-dataacuity/dist/nodes/.+\\.svg$`));
				const icon = await page.request.get(`${server.baseUrl}${panelIcon}`);
				expect(icon.status()).toBe(200);
				expect(icon.headers()['content-type']).toContain('svg');

				await item.click();
				// Community nodes open a details page first ("Add to workflow"); nodes with operations list them as
				// actions. Panels slide in and replace each other, so act on whatever is showing until the node opens.
				const ndv = page.locator('[data-test-id="ndv"] [data-test-id="node-parameters"]');
				const add = page.getByRole('button', { name: 'Add to workflow' });
				// Actions are listed by name under the node; any of them adds the node.
				const action = page
					.locator('[data-test-id="node-creator"] [data-test-id="node-creator-item-name"]')
					.filter({ hasNotText: new RegExp(`^${d.displayName}$`) });
				const nextStep = ndv.or(add).or(action.first());
				for (let i = 0; i < 10 && !(await ndv.isVisible()); i++) {
					await nextStep.first().waitFor();
					if (await ndv.isVisible()) break;
					if (await add.isVisible()) await add.click({ timeout: 5_000 }).catch(() => undefined);
					else
						await action
							.first()
							.click({ timeout: 5_000 })
							.catch(() => undefined);
					// Returns as soon as the node opens; otherwise the next panel slid in and the loop acts on it.
					await ndv.waitFor({ timeout: 5_000 }).catch(() => undefined);
				}
				if (!(await ndv.isVisible())) await shot(`${short}-2-FAILED-to-open`);
				await ndv.waitFor();
				for (const param of alwaysShownParameters(d)) {
					// The panel renders its inputs after it opens; on a loaded machine that takes seconds. A missing input still
					// fails here, after the wait.
					await page
						.locator(`[data-test-id="ndv"] [data-test-id="parameter-input-${param}"]`)
						.first()
						.waitFor({ timeout: 30_000 })
						.catch(async (err: Error) => {
							await shot(`${short}-2-FAILED-parameter-${param}`);
							throw err;
						});
				}
				// Every credential slot the node always needs is offered under its own label (slots tied to an operation may
				// add more). The label, not the select: 2.x shows a "set up" button instead of a select for a credential type
				// that has no credential yet (the optional Enrichment APIs here).
				const labels = page.locator('[data-test-id="ndv"] [data-test-id="credentials-label"]');
				const always = (d.credentials ?? []).filter((c) => !c.displayOptions);
				if (always.length) await labels.first().waitFor();
				const shown = (await labels.allTextContents()).map((t) => t.trim());
				expect(shown.length).toBeGreaterThanOrEqual(always.length);
				expect(shown.length).toBeLessThanOrEqual((d.credentials ?? []).length);
				for (const c of always) expect(shown.some((t) => t.startsWith(c.displayName!))).toBe(true);
				await shot(`${short}-2-parameters`);

				await page.keyboard.press('Escape');
				const canvasNode = page.locator(`[data-test-id="canvas-node"][data-node-type="${d.name}"]`);
				await canvasNode.waitFor();
				expect(await canvasNode.locator('img').first().getAttribute('src')).toBe(panelIcon);
				await shot(`${short}-3-canvas`);
			}
		},
		TIMEOUT,
	);

	test(
		'searching "DataAcuity" in the node panel lists all six pack nodes',
		async () => {
			if (!requireChromium()) return;
			await openNodePanel('DataAcuity');
			const found = await waitForListed(packNodes.map((d) => d.displayName));
			await shot('search-dataacuity');
			expect(packNodes.map((d) => d.displayName).filter((n) => !found.includes(n))).toEqual([]);
			await page.keyboard.press('Escape');
		},
		TIMEOUT,
	);

	test('every credential slot of a pack node has its own label', () => {
		if (!requireChromium()) return;
		for (const d of packNodes) {
			const slots = d.credentials ?? [];
			// n8n labels an unlabelled slot "Credential to connect with"; two of them on one node are indistinguishable.
			expect(slots.filter((c) => !c.displayName).map((c) => `${d.displayName}: ${c.name}`)).toEqual([]);
			expect(new Set(slots.map((c) => c.displayName)).size).toBe(slots.length);
		}
	});

	test(
		'each pack node used by a shipped workflow shows its icon and subtitle on the canvas',
		async () => {
			if (!requireChromium()) return;
			const seen = new Map<string, string[]>();
			const blank: string[] = [];
			for (const file of shippedWorkflowFiles()) {
				const wf = readWorkflow(file);
				const packInWf = wf.nodes.filter((n) => n.type.startsWith('n8n-nodes-dataacuity.'));
				if (!packInWf.length) continue;
				await page.goto(`${server.baseUrl}/workflow/${wf.id}`);
				await page.waitForSelector('[data-test-id="canvas-node"]');
				await page.locator('[data-test-id="zoom-to-fit"]').click();
				await shot(`workflow-${path.basename(file, '.json')}`);
				for (const n of packInWf) {
					const node = page.locator(`[data-test-id="canvas-node"][data-node-name="${n.name}"]`);
					await expect(node.locator('img').first().getAttribute('src')).resolves.toMatch(/^\/icons\/n8n-nodes-dataacuity\/.+\.svg$/);
					const subtitle =
						(
							await node
								.locator('[class*="_subtitle_"]')
								.first()
								.textContent({ timeout: 5_000 })
								.catch(() => '')
						)?.trim() ?? '';
					if (!subtitle || /undefined|null/.test(subtitle)) blank.push(`${wf.name} › ${n.name} (${n.type}) shows the subtitle "${subtitle}"`);
					seen.set(n.type, [...(seen.get(n.type) ?? []), subtitle]);
				}
			}
			expect(blank).toEqual([]);
			expect(seen.get('n8n-nodes-dataacuity.watermarkExtract')).toContain('All tables due now');
			expect(seen.size).toBeGreaterThanOrEqual(2);
		},
		TIMEOUT,
	);

	test(
		'the credential test button succeeds against the test servers',
		async () => {
			if (!requireChromium()) return;
			for (const c of [CREDENTIALS.warehouse, CREDENTIALS.source, CREDENTIALS.analytics, CREDENTIALS.store]) {
				await page.goto(`${server.baseUrl}/home/credentials/${c.id}`);
				const modal = page.locator('[data-test-id="editCredential-modal"]');
				await modal.waitFor();
				// Opening a saved credential runs its test; "Retry" is the test button. Both must report success.
				const ok = modal.locator('[data-test-id="credentials-config-container-test-success"]');
				await ok.waitFor({ state: 'visible', timeout: 60_000 });
				const [tested] = await Promise.all([
					page.waitForResponse((r) => r.url().endsWith('/rest/credentials/test') && r.request().method() === 'POST', { timeout: 60_000 }),
					ok.getByRole('button', { name: 'Retry' }).click(),
				]);
				expect(tested.status()).toBe(200);
				expect(((await tested.json()) as { data: { status: string } }).data.status).toBe('OK');
				await ok.waitFor({ state: 'visible', timeout: 60_000 });
				expect(await ok.textContent()).toMatch(/Connection tested successfully/i);
				await expect(
					modal
						.getByText(/Couldn.t connect/)
						.filter({ visible: true })
						.count(),
				).resolves.toBe(0);
				await shot(`credential-${c.type}`);
				await page.keyboard.press('Escape');
			}
		},
		TIMEOUT,
	);
});
