import { z } from 'zod';
import type { DbtNodeResult } from './runOutcome';
import { redactErrorText } from '../privacy/safeErrorText';
import { DbtArtifactError } from './validationError';

/**
 * The parts of dbt's run_results.json (schema v5/v6) and sources.json (source freshness, v3) that the node reads.
 * `passthrough` everywhere: newer dbt versions add fields, and the node must not break on them.
 */
const timingSchema = z.object({ name: z.string(), started_at: z.string().nullish(), completed_at: z.string().nullish() }).passthrough();

const resultSchema = z
	.object({
		unique_id: z.string(),
		status: z.string(),
		execution_time: z.number().default(0),
		timing: z.array(timingSchema).default([]),
		message: z.string().nullish(),
		failures: z.number().nullish(),
		adapter_response: z.record(z.unknown()).nullish(),
		relation_name: z.string().nullish(),
	})
	.passthrough();

export const runResultsSchema = z
	.object({
		metadata: z.object({ dbt_version: z.string().nullish(), invocation_id: z.string().nullish(), dbt_schema_version: z.string().nullish() }).passthrough(),
		results: z.array(resultSchema),
		elapsed_time: z.number().default(0),
	})
	.passthrough();
export type RunResults = z.output<typeof runResultsSchema>;

/** `model.dataacuity.stg_x` → (`model`, `stg_x`); `source.dataacuity.ledger_db.transactions` → (`source`, `ledger_db.transactions`). */
export function splitUniqueId(uniqueId: string): { resourceType: string; name: string } {
	const parts = uniqueId.split('.');
	if (parts.length < 3) return { resourceType: parts[0] ?? 'unknown', name: uniqueId };
	// Data tests end in a 10-hex disambiguation hash that is noise to a reader: test.p.unique_x_id.c9c048e50e.
	const rest = parts[0] === 'test' && parts.length > 3 && /^[0-9a-f]{10}$/.test(parts[parts.length - 1]) ? parts.slice(2, -1) : parts.slice(2);
	return { resourceType: parts[0], name: rest.join('.') };
}

/** Tests and freshness checks run a SELECT whose adapter row count says nothing about the data. */
const NO_ROW_COUNT = new Set(['test', 'unit_test', 'source']);

function rowsAffected(r: z.output<typeof resultSchema>, resourceType: string): number | null {
	if (NO_ROW_COUNT.has(resourceType)) return null;
	const n = r.adapter_response?.rows_affected;
	return typeof n === 'number' && n >= 0 ? n : null;
}

function messageOf(r: z.output<typeof resultSchema>, resourceType: string): string | null {
	if (r.message) return redactErrorText(r.message);
	if (resourceType === 'test' || resourceType === 'unit_test') return null;
	// sources.json carries no message: say what freshness measured.
	const ago = (r as Record<string, unknown>).max_loaded_at_time_ago_in_s;
	if (typeof ago === 'number') return `last load ${Math.round(ago)}s ago (max_loaded_at ${String((r as Record<string, unknown>).max_loaded_at)})`;
	const m = r.adapter_response?._message;
	return typeof m === 'string' && m ? m : null;
}

function freshnessAge(r: z.output<typeof resultSchema>): number | null {
	const ago = (r as Record<string, unknown>).max_loaded_at_time_ago_in_s;
	return typeof ago === 'number' ? Math.round(ago * 1000) / 1000 : null;
}

export function toNodeResults(rr: RunResults): DbtNodeResult[] {
	return rr.results.map((r) => {
		const { resourceType, name } = splitUniqueId(r.unique_id);
		const starts = r.timing
			.map((t) => t.started_at)
			.filter((s): s is string => !!s)
			.sort();
		const ends = r.timing
			.map((t) => t.completed_at)
			.filter((s): s is string => !!s)
			.sort();
		return {
			kind: 'node' as const,
			uniqueId: r.unique_id,
			resourceType,
			name,
			status: r.status,
			executionTimeS: Math.round(r.execution_time * 1000) / 1000,
			startedAt: starts[0] ?? null,
			completedAt: ends[ends.length - 1] ?? null,
			rowsAffected: rowsAffected(r, resourceType),
			message: messageOf(r, resourceType),
			failures: r.failures ?? null,
			relation: r.relation_name ?? null,
			freshnessAgeS: freshnessAge(r),
		};
	});
}

/** Parses and checks an artifact's text; the error says which file was malformed. */
export function parseRunResults(text: string, file: string): RunResults {
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (e) {
		throw new DbtArtifactError(`${file} is not valid JSON: ${(e as Error).message}`);
	}
	const parsed = runResultsSchema.safeParse(json);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new DbtArtifactError(`${file} does not look like dbt run results: ${issue.path.join('.')}: ${issue.message}`);
	}
	return parsed.data;
}
