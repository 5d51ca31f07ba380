import { readFileSync } from 'node:fs';

/** Peak resident memory of this process in MB as the kernel counts it (VmHWM); the current RSS where there is no /proc. */
export function peakRssMb(): number {
	try {
		const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
		if (m) return Math.round(Number(m[1]) / 1024);
	} catch {
		// not Linux
	}
	return Math.round(process.memoryUsage().rss / 1024 / 1024);
}
