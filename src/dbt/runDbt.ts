import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type pg from 'pg';
import path from 'node:path';
import { postgresConnectionSchema } from '../config/connection.schema';
import { buildDbtArgs } from './buildArgs';
import { dbtCommandSchema, WRITING_COMMANDS, type DbtCommandInput } from './command.schema';
import { splitCommandPrefix } from './commandPrefix';
import { dbtCoreConfigSchema, type DbtCoreConfigInput } from './coreConfig.schema';
import { resolveDbtBinary, referenceProjectDir } from './dbtBinary';
import { connectionFromEnv, dbtEnvironment } from './dbtEnvironment';
import { statusFromExitCode } from './exitStatus';
import { LineSplitter, parseDbtLogLine, type DbtLogLine } from './jsonLog';
import { abandonDbtRuns, recordDbtRunCompleted, recordDbtRunFailed, recordDbtRunFinished, recordDbtRunStarted } from './dbtRunLog';
import { acquireProjectLock, type HeldProjectLock } from './projectLock';
import { readProjectName } from './projectName';
import { createRunDirs, defaultArtifactsRoot } from './runPaths';
import { countStatuses, firstNodeError, type DbtNodeResult, type DbtRunOutcome } from './runOutcome';
import { parseRunResults, toNodeResults } from './runResults.schema';
import { DbtInputError, parseInput } from './validationError';
import { redactErrorText, safeErrorText } from '../privacy/safeErrorText';
import { createPool } from '../transport/postgres';
import { withTransaction } from '../transport/transaction';

export interface RunDbtOptions {
	/** Each of dbt's JSON log lines as it arrives. */
	onLog?: (line: DbtLogLine) => void;
	/** Cancels the run (n8n's execution cancel): dbt gets SIGTERM, then SIGKILL after 10 s. */
	signal?: AbortSignal;
	/** Shown in pg_stat_activity as the lock holder, e.g. the n8n execution id. */
	holder?: string;
	/** Recorded in dwh_control.dbt_runs. */
	executionId?: string;
}

/** Logged as the run's error when dbt exits 2 without a parsable error event. */
const TAIL_LINES = 20;

/**
 * Runs one dbt Core command: validates it (before anything is spawned), takes the project lock for writing
 * commands, spawns dbt with an argument array and an allow-listed environment, streams its JSON log, and reads
 * this run's own run_results.json into one result per node plus a summary.
 */
export async function runDbt(configInput: DbtCoreConfigInput, commandInput: DbtCommandInput, opts: RunDbtOptions = {}): Promise<DbtRunOutcome> {
	const cfg = parseInput(dbtCoreConfigSchema, configInput, 'dbt credential');
	const cmd = parseInput(dbtCommandSchema, commandInput, 'dbt command');
	const projectDir = path.resolve(cfg.projectDir || referenceProjectDir());
	const profilesDir = path.resolve(cfg.profilesDir || projectDir);
	const prefix = splitCommandPrefix(cfg.commandPrefix);
	// A prefixed dbt (docker exec ...) sees its own filesystem, so the project is only checked locally without one.
	const project = prefix.length ? path.basename(projectDir) : readProjectName(projectDir);
	// retry reads the earlier run's run_results.json from --state: its artifactsDir/target (or that folder itself).
	const retryState = cmd.retryOf && (existsSync(path.join(cmd.retryOf, 'target')) ? path.join(cmd.retryOf, 'target') : cmd.retryOf);
	if (retryState && !prefix.length && !existsSync(path.join(retryState, 'run_results.json'))) {
		throw new DbtInputError('dbt command', [
			{ path: 'retryOf', message: `${cmd.retryOf} has no run_results.json: pass the artifactsDir from the summary of the run to retry` },
		]);
	}

	const dirs = createRunDirs(cfg.artifactsDir || defaultArtifactsRoot());
	const args = buildDbtArgs({ ...cmd, retryOf: retryState }, { projectDir, profilesDir }, dirs);
	const bin = resolveDbtBinary(cfg.dbtBin);
	const [file, ...fileArgs] = prefix.length ? [...prefix, bin, ...args] : [bin, ...args];

	let lock: HeldProjectLock | null = null;
	const warehouse = () => cfg.warehouse ?? postgresConnectionSchema.parse({ ...connectionFromEnv(process.env) });
	if (WRITING_COMMANDS.has(cmd.command)) {
		lock = await acquireProjectLock(warehouse(), project, { waitMs: cfg.lockWaitMs, holder: opts.holder ?? dirs.runId, signal: opts.signal });
	}
	// Best effort: a run log that cannot be written (warehouse not migrated to 0051/0095) must not stop the
	// transformation; the summary says why it is missing.
	let runLogError: string | undefined;
	const noteLogError = (err: unknown) => {
		runLogError = `dbt run not recorded in dwh_control.dbt_runs: ${safeErrorText(err)}${
			/does not exist/.test((err as Error).message) ? ' (run npm run dwh:migrate)' : ''
		}`;
	};
	const logRun = async (write: (session: pg.Client) => Promise<unknown>) => {
		if (!lock || runLogError) return;
		try {
			await write(lock.session);
		} catch (err) {
			noteLogError(err);
		}
	};
	const entry = { runId: dirs.runId, project, command: cmd, executionId: opts.executionId ?? null };
	await logRun(async (session) => {
		await abandonDbtRuns(session, project);
		await recordDbtRunStarted(session, entry);
	});
	// Read-only commands hold no lock session: their run and node results are written once dbt has exited.
	const logCompleted = async (startedAt: Date, outcome: DbtRunOutcome) => {
		if (lock) return;
		try {
			const pool = createPool(warehouse(), { role: 'dbt-run-log' });
			try {
				await withTransaction(pool, (tx) => recordDbtRunCompleted(tx, entry, startedAt, outcome.summary, outcome.nodes));
			} finally {
				await pool.end();
			}
		} catch (err) {
			noteLogError(err);
		}
	};
	const startedAt = new Date();
	const started = startedAt.getTime();
	try {
		const { exitCode, tail, errors, spawnError } = await spawnDbt(file, fileArgs, {
			cwd: projectDir,
			env: dbtEnvironment(cfg),
			timeoutMs: cfg.timeoutMs,
			signal: opts.signal,
			onLog: opts.onLog,
		});
		const elapsedS = (Date.now() - started) / 1000;
		const artifact = cmd.command === 'source freshness' ? 'sources.json' : 'run_results.json';
		const artifactPath = path.join(dirs.targetPath, artifact);
		let nodes: DbtNodeResult[] = [];
		let invocationId: string | null = null;
		let dbtVersion: string | null = null;
		let dbtElapsed: number | null = null;
		if (existsSync(artifactPath)) {
			const rr = parseRunResults(readFileSync(artifactPath, 'utf8'), artifactPath);
			nodes = toNodeResults(rr);
			invocationId = rr.metadata.invocation_id ?? null;
			dbtVersion = rr.metadata.dbt_version ?? null;
			dbtElapsed = rr.elapsed_time;
		}
		const status = statusFromExitCode(exitCode);
		const errorMessage =
			status === 'success'
				? null
				: redactErrorText(spawnError ?? firstNodeError(nodes) ?? errors[0] ?? (tail.length ? tail.join('\n') : `dbt exited with code ${exitCode}`));
		const outcome: DbtRunOutcome = {
			nodes,
			summary: {
				kind: 'summary',
				backend: 'core',
				runId: dirs.runId,
				command: cmd.command,
				status,
				exitCode,
				elapsedS: Math.round((dbtElapsed ?? elapsedS) * 1000) / 1000,
				counts: countStatuses(nodes),
				nodeCount: nodes.length,
				invocationId,
				dbtVersion,
				artifactsDir: dirs.artifactsDir,
				errorMessage,
			},
		};
		await logRun((session) => recordDbtRunFinished(session, outcome.summary, outcome.nodes));
		await logCompleted(startedAt, outcome);
		if (runLogError) outcome.summary.runLogError = runLogError;
		return outcome;
	} catch (err) {
		await logRun((session) => recordDbtRunFailed(session, dirs.runId, err));
		throw err;
	} finally {
		await lock?.release();
	}
}

interface SpawnResult {
	exitCode: number | null;
	/** Last lines of output, for a crash that logged no error event. */
	tail: string[];
	/** Error-level log messages in order. */
	errors: string[];
	/** The executable could not be started at all. */
	spawnError: string | null;
}

function spawnDbt(
	file: string,
	args: string[],
	o: { cwd: string; env: Record<string, string>; timeoutMs: number; signal?: AbortSignal; onLog?: (l: DbtLogLine) => void },
): Promise<SpawnResult> {
	return new Promise((resolve) => {
		const tail: string[] = [];
		const errors: string[] = [];
		let spawnError: string | null = null;
		const child = spawn(file, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], shell: false });
		const handle = (raw: string) => {
			const line = parseDbtLogLine(raw);
			if (!line) return;
			tail.push(line.message);
			if (tail.length > TAIL_LINES) tail.shift();
			if (line.level === 'error' && line.message.trim()) errors.push(stripAnsi(line.message.trim()));
			o.onLog?.(line);
		};
		const out = new LineSplitter();
		const err = new LineSplitter();
		child.stdout.setEncoding('utf8').on('data', (c: string) => out.push(c).forEach(handle));
		child.stderr.setEncoding('utf8').on('data', (c: string) => err.push(c).forEach(handle));
		let killTimer: NodeJS.Timeout | undefined;
		const stop = (why: string) => {
			if (child.exitCode !== null) return;
			errors.unshift(why);
			child.kill('SIGTERM');
			killTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
		};
		const timeout = o.timeoutMs > 0 ? setTimeout(() => stop(`dbt did not finish within ${o.timeoutMs / 1000}s and was stopped`), o.timeoutMs) : undefined;
		const onAbort = () => stop('the run was cancelled');
		o.signal?.addEventListener('abort', onAbort, { once: true });
		child.on('error', (e: NodeJS.ErrnoException) => {
			spawnError =
				e.code === 'ENOENT'
					? `dbt executable "${file}" not found. Install dbt (.ci/install.d/dbt.sh creates .venv/bin/dbt), set DWH_DBT_BIN, or set "dbt Executable" in the credential.`
					: `could not start dbt (${file}): ${e.message}`;
		});
		child.on('close', (code) => {
			out.end().forEach(handle);
			err.end().forEach(handle);
			clearTimeout(timeout);
			clearTimeout(killTimer);
			o.signal?.removeEventListener('abort', onAbort);
			resolve({ exitCode: spawnError ? null : code, tail, errors, spawnError });
		});
	});
}

function stripAnsi(s: string): string {
	// eslint-disable-next-line no-control-regex
	return s.replace(/\u001b\[[0-9;]*m/g, '');
}
