import type pg from 'pg';
import { withSavepoint } from '../transport/transaction';

/**
 * Salts and keys are bound parameters, so they never appear in statement text (and so never in pg_stat_statements,
 * which stores the text with `$n` placeholders). But the server can still write them to its log:
 * - next to a logged statement (log_statement, log_min_duration_statement / _sample, log_transaction_sample_rate),
 *   governed by log_parameter_max_length; next to a failed one (log_min_error_statement), governed by
 *   log_parameter_max_length_on_error;
 * - inside a plan: auto_explain logs custom plans, in which a bound parameter is a constant
 *   (`Filter: (… 'the-salt'::text …)`), plus its own "Query Parameters" line (auto_explain.log_parameter_max_length);
 * - inside plan trees printed by debug_print_parse / _rewritten / _plan.
 * So, inside the transaction that will carry secrets, each of those is forced off with SET LOCAL. Where this login
 * may not set one (the log_* and auto_explain.* ones need superuser, a PG 15+ `GRANT SET ON PARAMETER`, or a DBA's
 * `ALTER ROLE … SET`), the effective value is checked, and the run refuses to start with an error naming each
 * setting that would log a secret and how to fix it.
 */

/** What each setting is forced to. auto_explain.* only exist (in pg_settings) when the module is loaded. */
const FORCED: Record<string, string> = {
	log_parameter_max_length_on_error: '0',
	log_parameter_max_length: '0',
	'auto_explain.log_min_duration': '-1',
	'auto_explain.log_parameter_max_length': '0',
	debug_print_parse: 'off',
	debug_print_rewritten: 'off',
	debug_print_plan: 'off',
};
const READ = [
	...Object.keys(FORCED),
	'log_statement',
	'log_min_duration_statement',
	'log_min_duration_sample',
	'log_statement_sample_rate',
	'log_transaction_sample_rate',
	'log_min_error_statement',
];

export interface UnsafeSetting {
	setting: string;
	value: string;
	why: string;
}

export class ParameterLoggingError extends Error {
	constructor(readonly problems: UnsafeSetting[]) {
		super(
			'The warehouse would write salts or keys to its server log, and this login may not switch that off for its session: ' +
				problems.map((p) => `${p.setting} = ${p.value} (${p.why})`).join('; ') +
				'. Ask the DBA to run, as superuser, ' +
				problems.map((p) => `\`ALTER ROLE <this login> SET ${p.setting} = ${FORCED[p.setting]}\``).join(', ') +
				' (or on PG 15+ `GRANT SET ON PARAMETER <setting> TO <this login>`), then start a new session.',
		);
		this.name = 'ParameterLoggingError';
	}
}

export interface LogSafety {
	/** true when no secret can reach the log from this transaction. */
	suppressed: boolean;
	/** set_local: every setting was forced; checked: some could not be set, but their effective values are safe. */
	how: 'set_local' | 'checked';
	problems: UnsafeSetting[];
}

type Settings = Map<string, string>;

async function readSettings(client: pg.PoolClient): Promise<Settings> {
	const { rows } = await client.query<{ name: string; setting: string }>(`SELECT name, setting FROM pg_settings WHERE name = ANY($1::text[])`, [READ]);
	return new Map(rows.map((r) => [r.name, r.setting]));
}

async function trySet(client: pg.PoolClient, assignments: [string, string][]): Promise<boolean> {
	try {
		// Names and values are the FORCED constants, never input.
		await withSavepoint(client, 'dwh_log_safety', () => client.query(assignments.map(([name, value]) => `SET LOCAL ${name} = ${value}`).join('; ')));
		return true;
	} catch {
		return false;
	}
}

/** Which of the effective settings would put a secret into the server log. Pure, for the unit tests. */
export function unsafeSettings(s: Settings): UnsafeSetting[] {
	const problems: UnsafeSetting[] = [];
	const on = (name: string, off: string[]) => s.has(name) && !off.includes(s.get(name)!);
	if (on('auto_explain.log_min_duration', ['-1'])) {
		problems.push({
			setting: 'auto_explain.log_min_duration',
			value: s.get('auto_explain.log_min_duration')!,
			why: 'auto_explain logs plans, which show bound parameters as constants',
		});
	}
	for (const d of ['debug_print_parse', 'debug_print_rewritten', 'debug_print_plan']) {
		if (on(d, ['off'])) problems.push({ setting: d, value: s.get(d)!, why: 'plan trees show bound parameters as constants' });
	}
	if (on('log_parameter_max_length_on_error', ['0']) && on('log_min_error_statement', ['panic'])) {
		problems.push({
			setting: 'log_parameter_max_length_on_error',
			value: s.get('log_parameter_max_length_on_error')!,
			why: 'a failed statement is logged with its parameters',
		});
	}
	if (on('log_parameter_max_length', ['0'])) {
		const sampled = Number(s.get('log_statement_sample_rate') ?? '1') > 0;
		const loggers = [
			on('log_statement', ['none']) && `log_statement = ${s.get('log_statement')}`,
			on('log_min_duration_statement', ['-1']) && `log_min_duration_statement = ${s.get('log_min_duration_statement')}`,
			sampled && on('log_min_duration_sample', ['-1']) && `log_min_duration_sample = ${s.get('log_min_duration_sample')}`,
			on('log_transaction_sample_rate', ['0']) && `log_transaction_sample_rate = ${s.get('log_transaction_sample_rate')}`,
		].filter(Boolean);
		if (loggers.length) {
			problems.push({
				setting: 'log_parameter_max_length',
				value: s.get('log_parameter_max_length')!,
				why: `statements are logged with their parameters: ${loggers.join(', ')}`,
			});
		}
	}
	return problems;
}

/** Call first thing inside the transaction that will carry secrets as parameters. */
export async function suppressParameterLogging(client: pg.PoolClient, requireSafe = true): Promise<LogSafety> {
	const present = Object.entries(FORCED).filter(([name]) => !name.startsWith('auto_explain.'));
	const before = await readSettings(client);
	const forced = [...present, ...Object.entries(FORCED).filter(([name]) => name.startsWith('auto_explain.') && before.has(name))];
	let all = await trySet(client, forced);
	if (!all) {
		// Some need privileges this login lacks: set what it may, one at a time (a refused SET aborts the savepoint).
		for (const a of forced) await trySet(client, [a]);
	}
	const problems = unsafeSettings(all ? new Map([...before, ...forced]) : await readSettings(client));
	all &&= problems.length === 0;
	if (problems.length && requireSafe) throw new ParameterLoggingError(problems);
	return { suppressed: problems.length === 0, how: all ? 'set_local' : 'checked', problems };
}
