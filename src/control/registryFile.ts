import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { packageAsset } from '../config/packageAsset';
import { sourceRegistrySchema, type SourceRegistry } from '../config/registry.schema';

/** The versioned registry file shipped with the package: the source of truth for dwh_control.source_tables. */
export function defaultRegistryPath(): string {
	return packageAsset('dwh-control-sql', 'source-registry.json');
}

export class RegistryFileError extends Error {
	constructor(readonly file: string, readonly problems: string[]) {
		super(`${file} is not a valid source registry:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
		this.name = 'RegistryFileError';
	}
}

/**
 * One line per zod issue, led by the table it concerns (source_db__source_table, from the raw input, since the entry
 * itself may be the broken part) and the field: "tables[3] auth_db__users.watermark_column: …".
 */
export function describeRegistryIssues(input: unknown, error: z.ZodError): string[] {
	const tables = (input as { tables?: unknown[] } | null)?.tables;
	return error.issues.map((issue) => {
		const [head, index, ...rest] = issue.path;
		if (head === 'tables' && typeof index === 'number') {
			const raw = Array.isArray(tables) ? (tables[index] as Record<string, unknown> | undefined) : undefined;
			const name = raw && typeof raw.source_db === 'string' && typeof raw.source_table === 'string' ? ` ${raw.source_db}__${raw.source_table}` : '';
			const field = rest.length
				? `.${rest
						.map((p) => (typeof p === 'number' ? `[${p}]` : p))
						.join('.')
						.replace(/\.\[/g, '[')}`
				: '';
			return `tables[${index}]${name}${field}: ${issue.message}`;
		}
		return `${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`;
	});
}

export function parseRegistry(input: unknown, source = 'registry'): SourceRegistry {
	const parsed = sourceRegistrySchema.safeParse(input);
	if (!parsed.success) throw new RegistryFileError(source, describeRegistryIssues(input, parsed.error));
	return parsed.data;
}

export function loadRegistryFile(file: string = defaultRegistryPath()): SourceRegistry {
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch (err) {
		throw new RegistryFileError(file, [`cannot be read: ${(err as Error).message}`]);
	}
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch (err) {
		throw new RegistryFileError(file, [`is not valid JSON: ${(err as Error).message}`]);
	}
	return parseRegistry(json, file);
}
