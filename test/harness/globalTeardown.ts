import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
	await globalThis.__DWH_STACK__?.stop();
	if (process.env.DWH_TEST_STATE) rmSync(process.env.DWH_TEST_STATE, { force: true });
}
