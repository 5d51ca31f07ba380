import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { cloudStepsOverride, dbtCloudJobSchema } from '../../../src/dbt/cloud/cloudConfig.schema';
import { runDbtCloudJob } from '../../../src/dbt/cloud/dbtCloudClient';
import { NodeApiError } from 'n8n-workflow';
import { DbtRun } from '../../../nodes/DbtRun/DbtRun.node';
import { prepareNode } from '../../integration/nodes/nodeHarness';

/** A local stand-in for the dbt Cloud API v2 on 127.0.0.1: records requests, walks a run through its statuses. */
function fixtureServer(script: { statuses: number[]; artifacts: boolean; token?: string }) {
	const requests: { method: string; url: string; auth?: string; body?: unknown }[] = [];
	let polls = 0;
	const server = http.createServer((req, res) => {
		let raw = '';
		req.on('data', (c) => (raw += c));
		req.on('end', () => {
			requests.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body: raw ? JSON.parse(raw) : undefined });
			const send = (code: number, body: unknown) => {
				res.writeHead(code, { 'content-type': 'application/json' });
				res.end(JSON.stringify(body));
			};
			if (req.headers.authorization !== `Token ${script.token ?? 'tok'}`) return send(401, { status: { code: 401, user_message: 'Invalid token.' } });
			const run = (status: number) => ({
				data: {
					id: 9001,
					status,
					status_humanized: { 1: 'Queued', 3: 'Running', 10: 'Success', 20: 'Error', 30: 'Cancelled' }[status],
					is_complete: status >= 10,
					href: 'https://cloud.example/runs/9001',
					status_message: status === 20 ? 'Job step failed' : null,
				},
			});
			if (req.method === 'POST' && req.url === '/api/v2/accounts/77/jobs/5/run/') return send(200, run(1));
			if (req.method === 'GET' && req.url === '/api/v2/accounts/77/runs/9001/')
				return send(200, run(script.statuses[Math.min(polls++, script.statuses.length - 1)]));
			if (req.method === 'GET' && req.url === '/api/v2/accounts/77/runs/9001/artifacts/run_results.json') {
				if (!script.artifacts) return send(404, { status: { code: 404 } });
				return res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(path.join(__dirname, 'fixtures', 'run_results.build.json')));
			}
			send(404, { status: { code: 404, user_message: 'Not found' } });
		});
	});
	return new Promise<{ url: string; requests: typeof requests; close: () => Promise<void> }>((resolve) =>
		server.listen(0, '127.0.0.1', () =>
			resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => new Promise((r) => server.close(() => r())) }),
		),
	);
}

test('triggers the job, polls until complete, and returns the same per-node shape as dbt Core', async () => {
	const srv = await fixtureServer({ statuses: [3, 3, 10], artifacts: true });
	try {
		const out = await runDbtCloudJob(
			{ baseUrl: srv.url + '/', accountId: 77, token: 'tok', pollIntervalMs: 50 },
			{ jobId: 5, command: 'build', select: ['source:ledger_db.transactions+'], vars: { incident: 'INC-1' } },
		);
		expect(out.summary).toMatchObject({
			backend: 'cloud',
			runId: '9001',
			status: 'success',
			exitCode: null,
			nodeCount: 4,
			counts: { success: 2, warn: 1, pass: 1 },
			url: 'https://cloud.example/runs/9001',
			errorMessage: null,
		});
		expect(out.nodes[1]).toMatchObject({ name: 'fct_ledger_transactions_anon', rowsAffected: 300 });
		expect(srv.requests[0]).toEqual({
			method: 'POST',
			url: '/api/v2/accounts/77/jobs/5/run/',
			auth: 'Token tok',
			body: {
				cause: 'Triggered by n8n (DataAcuity DbtRun)',
				steps_override: [`dbt build --select source:ledger_db.transactions+ --vars '{"incident":"INC-1"}'`],
			},
		});
		expect(srv.requests.filter((r) => r.url === '/api/v2/accounts/77/runs/9001/')).toHaveLength(3);
	} finally {
		await srv.close();
	}
});

test('a failed job is a handled failure with the first failing message; a job without artifacts still reports', async () => {
	const srv = await fixtureServer({ statuses: [20], artifacts: false });
	try {
		const out = await runDbtCloudJob({ baseUrl: srv.url, accountId: 77, token: 'tok', pollIntervalMs: 50 }, { jobId: 5 });
		expect(out.summary).toMatchObject({ status: 'failed', nodeCount: 0, errorMessage: 'Job step failed', command: 'job 5' });
		expect(srv.requests[0].body).toEqual({ cause: 'Triggered by n8n (DataAcuity DbtRun)' });
	} finally {
		await srv.close();
	}
});

test('a bad token is an error that says what to check, and never echoes the token', async () => {
	const srv = await fixtureServer({ statuses: [10], artifacts: true, token: 'right' });
	try {
		const err = await runDbtCloudJob({ baseUrl: srv.url, accountId: 77, token: 'wrong-token-value', pollIntervalMs: 50 }, { jobId: 5 }).then(
			() => new Error('no error'),
			(e: Error) => e,
		);
		expect(err.message).toBe('dbt Cloud POST /jobs/5/run/ answered 401: Invalid token. (check the API token and that it may run jobs in this account)');
		expect(err.message).not.toContain('wrong-token-value');
	} finally {
		await srv.close();
	}
});

test('steps_override is built from validated parts only', () => {
	expect(cloudStepsOverride(dbtCloudJobSchema.parse({ jobId: 1 }))).toBeUndefined();
	expect(dbtCloudJobSchema.safeParse({ jobId: 1, select: ['x; rm -rf /'] }).success).toBe(false);
	expect(() => cloudStepsOverride(dbtCloudJobSchema.parse({ jobId: 1, vars: { q: "it's" } }))).toThrow(/single quote/);
	expect(cloudStepsOverride(dbtCloudJobSchema.parse({ jobId: 1, command: 'source freshness', selector: 'nightly' }))).toEqual([
		'dbt source freshness --selector nightly',
	]);
});

describe('the dbt Run node', () => {
	const cloudRun = (url: string, token = 'tok') =>
		prepareNode({
			nodeType: new DbtRun(),
			parameters: { operation: 'triggerCloudJob', jobId: 5, cloudOptions: { pollIntervalSeconds: 1 } },
			credentials: { dataAcuityDbt: { cloudAccountId: '77', cloudToken: token, cloudBaseUrl: url } },
		});

	test("calls dbt Cloud through n8n's request helper, so n8n's proxy settings apply", async () => {
		const srv = await fixtureServer({ statuses: [10], artifacts: true });
		try {
			const { fns } = cloudRun(srv.url);
			const calls: string[] = [];
			const httpRequest = fns.helpers.httpRequest;
			fns.helpers.httpRequest = async (o) => (calls.push(`${o.method} ${o.url.slice(srv.url.length)}`), httpRequest(o));
			const [items] = await new DbtRun().execute.call(fns);
			expect(items.at(-1)?.json).toMatchObject({ kind: 'summary', backend: 'cloud', runId: '9001', status: 'success', nodeCount: 4 });
			expect(items.map((i) => i.pairedItem)).toEqual(Array(5).fill({ item: 0 }));
			expect(calls).toEqual([
				'POST /api/v2/accounts/77/jobs/5/run/',
				'GET /api/v2/accounts/77/runs/9001/',
				'GET /api/v2/accounts/77/runs/9001/artifacts/run_results.json',
			]);
		} finally {
			await srv.close();
		}
	});

	test('a refused token fails the node with what to check; with Continue On Fail it is an error item', async () => {
		const srv = await fixtureServer({ statuses: [10], artifacts: true, token: 'right' });
		try {
			const err = await new DbtRun().execute.call(cloudRun(srv.url, 'wrong').fns).then(
				() => null,
				(e: NodeApiError) => e,
			);
			expect(err).toBeInstanceOf(NodeApiError);
			expect(err).toMatchObject({
				message: expect.stringContaining('answered 401: Invalid token.'),
				description: expect.stringContaining('Check the DataAcuity Dbt credential'),
				httpCode: '401',
			});
			const { fns } = prepareNode({
				...cloudRun(srv.url, 'wrong'),
				nodeType: new DbtRun(),
				continueOnFail: true,
				parameters: { operation: 'triggerCloudJob', jobId: 5 },
				credentials: { dataAcuityDbt: { cloudAccountId: '77', cloudToken: 'wrong', cloudBaseUrl: srv.url } },
			});
			const [items] = await new DbtRun().execute.call(fns);
			expect(items).toEqual([
				{ json: { error: expect.stringContaining('answered 401'), description: expect.stringContaining('API Token') }, pairedItem: { item: 0 } },
			]);
		} finally {
			await srv.close();
		}
	});
});
