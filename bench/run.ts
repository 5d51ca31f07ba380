/** What the benches share around their measurements. */

/** A bench's results: its one-line description (sizes, servers), then one table row per measurement. */
export function printReport(title: string, rows: object[]): void {
	console.log(title);
	console.table(rows);
}

/** Runs a bench's main; a failure prints its error and exits 1. */
export function runBench(main: () => Promise<unknown>): void {
	main().catch((err: unknown) => {
		console.error(err);
		process.exit(1);
	});
}
