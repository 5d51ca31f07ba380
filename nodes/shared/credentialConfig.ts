import type { ICredentialDataDecryptedObject, INodeProperties } from 'n8n-workflow';
import type { ZodError, ZodTypeAny, z } from 'zod';
import { dataAcuityPostgresProperties } from '../../credentials/DataAcuityPostgres.credentials';
import { DataAcuityObjectStore } from '../../credentials/DataAcuityObjectStore.credentials';
import { objectStoreSchema, postgresConnectionSchema, type ObjectStoreConfig, type PostgresConnection } from '../../src/config/connection.schema';

/** A credential whose values do not fit the config schema; the message names the field as the editor shows it. */
export class CredentialConfigError extends Error {
	constructor(readonly credential: string, readonly fields: string[], message: string) {
		super(message);
		this.name = 'CredentialConfigError';
	}
}

const displayNames = (props: INodeProperties[]) => new Map(props.map((p) => [p.name, p.displayName]));
const postgresLabels = displayNames(dataAcuityPostgresProperties);
const objectStoreLabels = displayNames(new DataAcuityObjectStore().properties);

/**
 * n8n hands over what the user typed, including '' for cleared number fields and strings for values set by
 * expressions or the credentials CLI. Empty values fall back to the schema defaults instead of failing.
 */
function withoutEmpty(data: ICredentialDataDecryptedObject, keys: Iterable<string>): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const key of keys) {
		const value = data[key];
		if (value === undefined || value === null || value === '') continue;
		out[key] = typeof value === 'string' && key !== 'password' && key !== 'secretAccessKey' ? value.trim() : value;
	}
	return out;
}

function parseCredential<S extends ZodTypeAny>(
	schema: S,
	labels: Map<string, string>,
	credential: string,
	data: ICredentialDataDecryptedObject,
	prepare: (v: Record<string, unknown>) => Record<string, unknown> = (v) => v,
): z.output<S> {
	const parsed = schema.safeParse(prepare(withoutEmpty(data, labels.keys())));
	if (parsed.success) return parsed.data;
	throw credentialError(credential, labels, parsed.error);
}

function credentialError(credential: string, labels: Map<string, string>, error: ZodError): CredentialConfigError {
	const fields: string[] = [];
	const problems = error.issues.map((issue) => {
		const key = String(issue.path[0] ?? '');
		const label = labels.get(key) ?? key;
		fields.push(label);
		const missing = issue.code === 'invalid_type' && issue.received === 'undefined';
		return missing ? `${label} is required` : `${label}: ${issue.message}`;
	});
	return new CredentialConfigError(credential, fields, `The ${credential} credential is incomplete or invalid — ${problems.join('; ')}`);
}

export function postgresConfigFromCredential(data: ICredentialDataDecryptedObject, credential = 'DataAcuity Postgres'): PostgresConnection {
	return parseCredential(postgresConnectionSchema, postgresLabels, credential, data);
}

export function objectStoreConfigFromCredential(data: ICredentialDataDecryptedObject, credential = 'DataAcuity Object Store'): ObjectStoreConfig {
	const cfg = parseCredential(objectStoreSchema, objectStoreLabels, credential, data, (v) => ({
		...v,
		// A boolean toggle can arrive as the string 'false' from the credentials CLI / API.
		...(typeof v.forcePathStyle === 'string' ? { forcePathStyle: v.forcePathStyle !== 'false' } : {}),
		// A trailing slash would make the SDK sign a different path than MinIO expects.
		...(typeof v.endpoint === 'string' ? { endpoint: v.endpoint.replace(/\/+$/, '') } : {}),
	}));
	// "minio:9000" parses as a URL with scheme "minio:"; the SDK would then fail with an unhelpful error per request.
	if (cfg.endpoint && !/^https?:\/\//i.test(cfg.endpoint)) {
		const label = objectStoreLabels.get('endpoint')!;
		throw new CredentialConfigError(
			credential,
			[label],
			`The ${credential} credential is incomplete or invalid — ${label}: must start with http:// or https://, e.g. http://127.0.0.1:9000`,
		);
	}
	return cfg;
}
