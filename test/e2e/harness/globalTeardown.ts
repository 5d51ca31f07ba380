import { rmSync } from 'node:fs';

/** Stops the dev stack only if the e2e setup started it (the integration project's teardown owns a shared one). */
export default async function globalTeardown(): Promise<void> {
	const t0 = Date.now();
	await globalThis.__DWH_E2E_STACK__?.stop();
	globalThis.__DWH_E2E_STACK__ = undefined;
	const runDir = globalThis.__DWH_E2E_RUN_DIR__;
	if (runDir && process.env.DWH_E2E_KEEP !== '1') rmSync(runDir, { recursive: true, force: true });
	// eslint-disable-next-line no-console
	console.log(`[e2e] teardown ${Math.round((Date.now() - t0) / 1000)} s`);
}
