import type pg from 'pg';

/**
 * Salts and keys are bound parameters, so they never appear in statement text — but Postgres prints bound
 * parameters next to a logged statement (log_statement, log_min_duration_statement, sampling) and next to a failed
 * one. Inside the anonymise transaction both are switched off with SET LOCAL:
 * - log_parameter_max_length_on_error: any user may set it;
 * - log_parameter_max_length: superuser only (PG 13–14), or a role granted SET on it (PG 15+:
 *   `GRANT SET ON PARAMETER log_parameter_max_length TO n8n_etl`), or set for the role by a DBA
 *   (`ALTER ROLE n8n_etl SET log_parameter_max_length = 0`).
 * When it cannot be set and is not already 0, the run refuses to start if any statement logging is on.
 */

export class ParameterLoggingError extends Error {
	constructor(readonly settings: Record<string, string | null>) {
		super(
			'The warehouse may write bound parameters (salts, keys) to its server log: statement logging is on ' +
				`(${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}) and this login may not set log_parameter_max_length. ` +
				'Ask the DBA to run `ALTER ROLE <etl login> SET log_parameter_max_length = 0` (or, on PG 15+, ' +
				'`GRANT SET ON PARAMETER log_parameter_max_length TO <etl login>`), or turn statement logging off for it.',
		);
		this.name = 'ParameterLoggingError';
	}
}

export interface LogSafety {
	/** true when parameters cannot reach the log from this transaction. */
	suppressed: boolean;
	how: 'set_local' | 'already_zero' | 'statement_logging_off';
}

/** Call first thing inside the transaction that will carry secrets as parameters. */
export async function suppressParameterLogging(client: pg.PoolClient, requireSafe = true): Promise<LogSafety> {
	await client.query('SAVEPOINT dwh_log_safety');
	try {
		await client.query('SET LOCAL log_parameter_max_length_on_error = 0');
		await client.query('SET LOCAL log_parameter_max_length = 0');
		await client.query('RELEASE SAVEPOINT dwh_log_safety');
		return { suppressed: true, how: 'set_local' };
	} catch {
		await client.query('ROLLBACK TO SAVEPOINT dwh_log_safety');
		await client.query('RELEASE SAVEPOINT dwh_log_safety');
	}
	// on_error alone is user-settable; keep it even when the other one was refused.
	await client.query('SAVEPOINT dwh_log_safety');
	try {
		await client.query('SET LOCAL log_parameter_max_length_on_error = 0');
		await client.query('RELEASE SAVEPOINT dwh_log_safety');
	} catch {
		await client.query('ROLLBACK TO SAVEPOINT dwh_log_safety');
		await client.query('RELEASE SAVEPOINT dwh_log_safety');
	}
	const { rows } = await client.query<Record<string, string | null>>(
		`SELECT current_setting('log_parameter_max_length', true) AS log_parameter_max_length,
		        current_setting('log_statement', true) AS log_statement,
		        current_setting('log_min_duration_statement', true) AS log_min_duration_statement,
		        current_setting('log_min_duration_sample', true) AS log_min_duration_sample,
		        current_setting('log_transaction_sample_rate', true) AS log_transaction_sample_rate`,
	);
	const s = rows[0];
	if (s.log_parameter_max_length === '0') return { suppressed: true, how: 'already_zero' };
	const loggingOff =
		(s.log_statement ?? 'none') === 'none' &&
		['-1', null].includes(s.log_min_duration_statement) &&
		['-1', null].includes(s.log_min_duration_sample) &&
		['0', null].includes(s.log_transaction_sample_rate);
	if (loggingOff) return { suppressed: true, how: 'statement_logging_off' };
	if (requireSafe) throw new ParameterLoggingError(s);
	return { suppressed: false, how: 'statement_logging_off' };
}
