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
