import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './warehouseUrl';

/**
 * The exit-code contract shared by the dwh:* commands: 0 done, 1 the work failed, 2 bad usage (the usage text is
 * printed then). `main` reports its own work failures (with passwords redacted) and returns 1.
 */
export function runCli(main: (argv: string[]) => Promise<number>, usageText: string): void {
	main(process.argv.slice(2)).then(
		(code) => process.exit(code),
		(err: unknown) => {
			const usage = err instanceof UsageError || Boolean((err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'));
			console.error(usage ? `${(err as Error).message}\n\n${usageText}` : err instanceof Error ? err.message : String(err));
			process.exit(usage ? 2 : 1);
		},
	);
}

type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** The option kinds the commands share: an option that takes a value, and an on/off flag that is off unless given. */
export const VALUE = { type: 'string' } as const;
export const FLAG = { type: 'boolean', default: false } as const;
const HELP = { help: { type: 'boolean', short: 'h', default: false } } as const;

/**
 * The command line of a dwh:* command, parsed strictly (an unknown option is a usage error), with the --help / -h
 * every command has: null when help was asked for (the usage text is printed, and main returns 0).
 */
type Parsed<O extends CliOptions, P extends boolean> = ReturnType<
	typeof parseArgs<{ args: string[]; options: O & typeof HELP; strict: true; allowPositionals: P }>
>;

export function parseCommandLine<O extends CliOptions, P extends boolean = false>(
	argv: string[],
	options: O,
	usageText: string,
	allowPositionals?: P,
): Parsed<O, P> | null {
	const parsed = parseArgs({ args: argv, options: { ...options, ...HELP }, strict: true, allowPositionals: (allowPositionals ?? false) as P });
	if ((parsed.values as { help?: boolean }).help) {
		console.log(usageText);
		return null;
	}
	return parsed;
}
