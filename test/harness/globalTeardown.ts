import { rmSync } from 'node:fs';
import { waitForClientsToLeave } from '../../scripts/devstackSetup';

/**
 * `Pool.end()` resolves before its sockets are gone, so a test file's last connections can still be open when the
 * run ends. Stopping Postgres then makes the server terminate them (57P01) and an idle pool client without an error
 * listener would crash jest after every test passed. So: wait for the other sessions to leave, and treat a
 * shutdown-time 57P01 as the expected end of a connection, not as a failure.
 */
export default async function globalTeardown(): Promise<void> {
	const stack = globalThis.__DWH_STACK__;
	if (stack) {
		const ignoreShutdown = (err: unknown) => {
			if ((err as { code?: string }).code !== '57P01') throw err;
		};
		process.on('uncaughtException', ignoreShutdown);
		await waitForClientsToLeave(stack.postgres, 10_000);
		await stack.stop();
		await new Promise((r) => setTimeout(r, 200));
		process.off('uncaughtException', ignoreShutdown);
	}
	if (process.env.DWH_TEST_STATE) rmSync(process.env.DWH_TEST_STATE, { force: true });
}
