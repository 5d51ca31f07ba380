import { ParameterLoggingError, unsafeSettings } from '../../../src/anonymise/logSafety';

const quiet = {
	log_parameter_max_length: '-1',
	log_parameter_max_length_on_error: '0',
	log_statement: 'none',
	log_min_duration_statement: '-1',
	log_min_duration_sample: '-1',
	log_statement_sample_rate: '1',
	log_transaction_sample_rate: '0',
	log_min_error_statement: 'error',
	debug_print_parse: 'off',
	debug_print_rewritten: 'off',
	debug_print_plan: 'off',
};
const check = (over: Record<string, string>) => unsafeSettings(new Map(Object.entries({ ...quiet, ...over })));

describe('which effective settings would write a secret to the server log', () => {
	test('nothing logged, or parameters cut to 0: safe', () => {
		expect(check({})).toEqual([]);
		expect(check({ log_statement: 'all', log_min_duration_statement: '0', log_parameter_max_length: '0' })).toEqual([]);
		expect(check({ 'auto_explain.log_min_duration': '-1', 'auto_explain.log_parameter_max_length': '-1' })).toEqual([]);
		expect(check({ log_min_duration_sample: '0', log_statement_sample_rate: '0' })).toEqual([]);
	});

	test.each([
		[{ log_statement: 'mod' }, 'log_parameter_max_length', 'log_statement = mod'],
		[{ log_statement: 'ddl' }, 'log_parameter_max_length', 'log_statement = ddl'],
		[{ log_min_duration_statement: '250' }, 'log_parameter_max_length', 'log_min_duration_statement = 250'],
		[{ log_min_duration_sample: '0' }, 'log_parameter_max_length', 'log_min_duration_sample = 0'],
		[{ log_transaction_sample_rate: '0.01' }, 'log_parameter_max_length', 'log_transaction_sample_rate = 0.01'],
		[{ 'auto_explain.log_min_duration': '0', log_parameter_max_length: '0' }, 'auto_explain.log_min_duration', 'plans'],
		[{ debug_print_plan: 'on' }, 'debug_print_plan', 'plan trees'],
		[{ log_parameter_max_length_on_error: '-1' }, 'log_parameter_max_length_on_error', 'failed statement'],
	])('%j is refused naming %s', (over, setting, why) => {
		const problems = check(over);
		expect(problems.map((p) => p.setting)).toEqual([setting]);
		expect(problems[0].why).toContain(why);
	});

	test('the error names every setting, its value and the ALTER ROLE that fixes it', () => {
		const err = new ParameterLoggingError(check({ 'auto_explain.log_min_duration': '0', log_statement: 'all' }));
		expect(err.message).toContain('auto_explain.log_min_duration = 0');
		expect(err.message).toContain('log_parameter_max_length = -1 (statements are logged with their parameters: log_statement = all)');
		expect(err.message).toContain(
			'`ALTER ROLE <this login> SET auto_explain.log_min_duration = -1`, `ALTER ROLE <this login> SET log_parameter_max_length = 0`',
		);
	});
});
