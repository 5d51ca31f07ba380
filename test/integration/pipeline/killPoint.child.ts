/**
 * Child process for the kill-point tests: runs one overlapped extract+load of DWH_KILL_TABLE with the connections in
 * DWH_KILL_CONFIG and SIGKILLs itself at DWH_KILL_POINT, the way an n8n worker dies (OOM killer, node restart):
 * no finally block, no ROLLBACK, sockets closed by the kernel.
 *   mid-stream       before sending the 2nd upload part (COPYs half done)
 *   before-complete  merge and bookkeeping done, before the object is created (CompleteMultipartUpload)
 *   after-complete   the CSV exists in processed/, before COMMIT
 *   after-commit     COMMIT acknowledged, before anything else
 */
import pg from 'pg';
import { openPipelineContext, type PipelineConnections } from '../../../src/pipeline/context';
import { extractAndLoadTable } from '../../../src/pipeline/extractAndLoad';

const point = process.env.DWH_KILL_POINT ?? '';
const config = JSON.parse(process.env.DWH_KILL_CONFIG ?? '{}') as PipelineConnections;
const die = (): never => {
	process.kill(process.pid, 'SIGKILL');
	throw new Error('unreachable');
};

const ctx = openPipelineContext(config);
const send = ctx.store.client.send.bind(ctx.store.client) as (cmd: unknown) => Promise<unknown>;
(ctx.store.client as unknown as { send: (cmd: unknown) => Promise<unknown> }).send = async (cmd: unknown) => {
	const name = (cmd as { constructor: { name: string } }).constructor.name;
	const input = (cmd as { input?: { PartNumber?: number } }).input ?? {};
	if (point === 'mid-stream' && name === 'UploadPartCommand' && input.PartNumber === 2) die();
	if (point === 'before-complete' && name === 'CompleteMultipartUploadCommand') die();
	const out = await send(cmd);
	if (point === 'after-complete' && name === 'CompleteMultipartUploadCommand') die();
	return out;
};
const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
	const out = query.apply(this, args);
	if (point === 'after-commit' && args[0] === 'COMMIT' && this.database === config.warehouse.database && out instanceof Promise) {
		return out.then(() => die());
	}
	return out;
};

extractAndLoadTable(ctx, process.env.DWH_KILL_TABLE ?? '').then(
	(r) => {
		process.stdout.write(JSON.stringify(r));
		return ctx.close().then(() => process.exit(0));
	},
	(err) => {
		process.stderr.write(String(err));
		process.exit(1);
	},
);
