/**
 * dbt's structured log (`--log-format json`): one JSON object per stdout line, {info: {name, level, msg, ts, code,
 * invocation_id}, data: {...}}. Lines that are not JSON (a Python traceback, a prefix command's own output) are
 * passed on as plain text at level "info" so nothing dbt says is lost.
 */
export interface DbtLogLine {
	level: string;
	/** dbt's event name, e.g. LogModelResult, MainEncounteredError; 'text' for non-JSON lines. */
	event: string;
	message: string;
	ts: string | null;
	invocationId: string | null;
	data: Record<string, unknown>;
}

export function parseDbtLogLine(line: string): DbtLogLine | null {
	const text = line.trim();
	if (!text) return null;
	if (text.startsWith('{')) {
		try {
			const o = JSON.parse(text) as { info?: Record<string, unknown>; data?: Record<string, unknown> };
			if (o && typeof o === 'object' && o.info) {
				return {
					level: String(o.info.level ?? 'info'),
					event: String(o.info.name ?? 'unknown'),
					message: String(o.info.msg ?? ''),
					ts: typeof o.info.ts === 'string' ? o.info.ts : null,
					invocationId: typeof o.info.invocation_id === 'string' ? o.info.invocation_id : null,
					data: o.data && typeof o.data === 'object' ? o.data : {},
				};
			}
		} catch {
			// fall through: not dbt JSON
		}
	}
	return { level: 'info', event: 'text', message: text, ts: null, invocationId: null, data: {} };
}

/** Splits a byte stream into lines across chunk boundaries. */
export class LineSplitter {
	private rest = '';
	push(chunk: string): string[] {
		const text = this.rest + chunk;
		const lines = text.split(/\r?\n/);
		this.rest = lines.pop() ?? '';
		return lines;
	}
	end(): string[] {
		const last = this.rest;
		this.rest = '';
		return last ? [last] : [];
	}
}
