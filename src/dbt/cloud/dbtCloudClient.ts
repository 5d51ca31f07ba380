import { z } from 'zod';
import { countStatuses, firstNodeError, type DbtNodeResult, type DbtRunOutcome } from '../runOutcome';
import { parseRunResults, toNodeResults } from '../runResults.schema';
import { parseInput } from '../validationError';
import {
	cloudStepsOverride,
	dbtCloudConfigSchema,
	dbtCloudJobSchema,
	type DbtCloudConfig,
	type DbtCloudConfigInput,
	type DbtCloudJobInput,
} from './cloudConfig.schema';
import { redactErrorText } from '../../privacy/safeErrorText';
import { displayUrl } from '../../privacy/redactUserinfo';
import { globalFetch, type FetchLike, type FetchLikeResponse } from '../../transport/fetchLike';

/** dbt Cloud run status codes (API v2). */
export const CLOUD_STATUS = { queued: 1, starting: 2, running: 3, success: 10, error: 20, cancelled: 30 } as const;

const runSchema = z
	.object({
		id: z.number(),
		status: z.number(),
		status_humanized: z.string().nullish(),
		status_message: z.string().nullish(),
		is_complete: z.boolean().nullish(),
		href: z.string().nullish(),
		duration: z.union([z.string(), z.number()]).nullish(),
		run_duration: z.union([z.string(), z.number()]).nullish(),
	})
	.passthrough();
const envelope = z.object({ data: runSchema }).passthrough();

export class DbtCloudError extends Error {
	constructor(message: string, readonly httpStatus?: number) {
		super(message);
		this.name = 'DbtCloudError';
	}
}

export interface CloudRunOptions {
	signal?: AbortSignal;
	/** Called on every poll, e.g. to log "Running (3m)". */
	onPoll?: (run: z.output<typeof runSchema>) => void;
	/** n8n's request helper from the node (proxies); the global fetch otherwise. */
	fetchImpl?: FetchLike;
}

/**
 * Triggers a dbt Cloud job and polls it to completion, then fetches the run's run_results.json so the output has
 * the same shape as a dbt Core run. The token only ever travels in the Authorization header.
 */
export async function runDbtCloudJob(cfgInput: DbtCloudConfigInput, jobInput: DbtCloudJobInput, opts: CloudRunOptions = {}): Promise<DbtRunOutcome> {
	const cfg = parseInput(dbtCloudConfigSchema, cfgInput, 'dbt Cloud settings');
	const job = parseInput(dbtCloudJobSchema, jobInput, 'dbt Cloud job');
	const api = new CloudApi(cfg, opts.fetchImpl ?? globalFetch, opts.signal);
	const started = Date.now();
	const body: Record<string, unknown> = { cause: job.cause };
	if (job.gitBranch) body.git_branch = job.gitBranch;
	const steps = cloudStepsOverride(job);
	if (steps) body.steps_override = steps;

	let run = envelope.parse(await api.request('POST', `/jobs/${job.jobId}/run/`, body)).data;
	while (!isComplete(run)) {
		if (Date.now() - started > cfg.timeoutMs) {
			throw new DbtCloudError(
				`dbt Cloud run ${run.id} still ${run.status_humanized ?? run.status} after ${Math.round(cfg.timeoutMs / 1000)}s; it keeps running in dbt Cloud (${
					run.href ?? ''
				})`,
			);
		}
		await sleep(cfg.pollIntervalMs, opts.signal);
		run = envelope.parse(await api.request('GET', `/runs/${run.id}/`)).data;
		opts.onPoll?.(run);
	}

	let nodes: DbtNodeResult[] = [];
	let invocationId: string | null = null;
	let dbtVersion: string | null = null;
	let dbtElapsed: number | null = null;
	// A run cancelled or failed before its dbt step has no artifacts: that is not a second error.
	const artifact = await api.request('GET', `/runs/${run.id}/artifacts/run_results.json`, undefined, true);
	if (artifact !== null) {
		const rr = parseRunResults(JSON.stringify(artifact), `dbt Cloud run ${run.id} run_results.json`);
		nodes = toNodeResults(rr);
		invocationId = rr.metadata.invocation_id ?? null;
		dbtVersion = rr.metadata.dbt_version ?? null;
		dbtElapsed = rr.elapsed_time;
	}
	const status = run.status === CLOUD_STATUS.success ? 'success' : run.status === CLOUD_STATUS.error ? 'failed' : 'error';
	return {
		nodes,
		summary: {
			kind: 'summary',
			backend: 'cloud',
			runId: String(run.id),
			command: steps?.[0] ?? `job ${job.jobId}`,
			status,
			exitCode: null,
			elapsedS: Math.round((dbtElapsed ?? (Date.now() - started) / 1000) * 1000) / 1000,
			counts: countStatuses(nodes),
			nodeCount: nodes.length,
			invocationId,
			dbtVersion,
			artifactsDir: null,
			errorMessage:
				status === 'success'
					? null
					: redactErrorText(firstNodeError(nodes) ?? run.status_message ?? `dbt Cloud run ${run.id} ended ${run.status_humanized ?? run.status}`),
			url: run.href ?? null,
		},
	};
}

function isComplete(run: z.output<typeof runSchema>): boolean {
	return run.is_complete === true || run.status >= CLOUD_STATUS.success;
}

class CloudApi {
	constructor(private readonly cfg: DbtCloudConfig, private readonly fetchImpl: FetchLike, private readonly signal?: AbortSignal) {}

	async request(method: 'GET' | 'POST', path: string, body?: unknown, notFoundIsNull = false): Promise<unknown> {
		const url = `${this.cfg.baseUrl}/api/v2/accounts/${this.cfg.accountId}${path}`;
		let res: FetchLikeResponse;
		try {
			res = await this.fetchImpl(url, {
				method,
				headers: { Authorization: `Token ${this.cfg.token}`, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}) },
				body: body ? JSON.stringify(body) : undefined,
				signal: this.signal,
			});
		} catch (e) {
			throw new DbtCloudError(`dbt Cloud at ${displayUrl(this.cfg.baseUrl)} is unreachable: ${redactErrorText((e as Error).message)}`);
		}
		if (notFoundIsNull && res.status === 404) return null;
		const text = await res.text();
		if (!res.ok) {
			const hint =
				res.status === 401 || res.status === 403
					? 'check the API token and that it may run jobs in this account'
					: res.status === 404
					? 'check the account id and job id'
					: 'see the dbt Cloud status page';
			throw new DbtCloudError(`dbt Cloud ${method} ${path} answered ${res.status}: ${cloudMessage(text)} (${hint})`, res.status);
		}
		try {
			return JSON.parse(text);
		} catch {
			throw new DbtCloudError(`dbt Cloud ${method} ${path} did not answer JSON`);
		}
	}
}

function cloudMessage(text: string): string {
	try {
		const o = JSON.parse(text) as { status?: { user_message?: string } };
		if (o.status?.user_message) return o.status.user_message;
	} catch {
		// not JSON
	}
	return text.slice(0, 200);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(new DbtCloudError('cancelled while waiting for dbt Cloud'));
		const t = setTimeout(resolve, ms);
		signal?.addEventListener(
			'abort',
			() => {
				clearTimeout(t);
				reject(new DbtCloudError('cancelled while waiting for dbt Cloud'));
			},
			{ once: true },
		);
	});
}
