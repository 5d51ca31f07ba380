import { ZodError } from 'zod';
import type { ObjectStoreConfig, PostgresConnection } from '../../src/config/connection.schema';
import { UnknownTableError } from '../../src/control/registry';
import { LoadError } from '../../src/load/loadBronze';
import { CsvPathError, describeObjectStoreError } from '../../src/transport/objectStore';
import { describeConnectionError } from '../../src/transport/postgres';
import { redactErrorText, safeErrorText } from '../../src/privacy/safeErrorText';
import { CredentialConfigError } from './credentialConfig';
import { AREA_HINTS, coreErrorHint, postgresHint, type NodeArea } from './errorHints';

/** What the node shows: a headline, and a description that tells the user what to change. */
export interface ErrorExplanation {
	message: string;
	description: string;
	/** 'api' for a server or network that failed us (NodeApiError), 'operation' for input/config the user controls. */
	kind: 'api' | 'operation';
	httpCode?: string;
}

/** The connections the failing code was using, so a network error can name the credential to check. */
export interface ErrorScope {
	warehouse?: PostgresConnection;
	source?: PostgresConnection;
	/** The apps' analytics_db (Push Back). */
	analytics?: PostgresConnection;
	store?: ObjectStoreConfig;
	/** The node the error happened in: what to do about an error no rule knows. */
	area?: NodeArea;
}

export type AnyError = {
	name?: string;
	code?: string;
	message?: string;
	port?: number;
	errors?: unknown[];
	$metadata?: { httpStatusCode?: number };
	$fault?: string;
};

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH']);
const NETWORK_CODE_IN_TEXT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH)\b/;
const POSTGRES_LOGIN_CODES = new Set(['28P01', '28000', '3D000']);
const SQLSTATE = /^[0-9A-Z]{5}$/;

const SDK_WRAPPER = /^AWS SDK error wrapper for .*?\b(E[A-Z_]{3,})\b(?:.*?:(\d+))?/;

/**
 * Gets at the code the user's problem is named by. Node 20 reports a refused `localhost` (tried on ::1 and
 * 127.0.0.1) as an AggregateError without a code of its own; and the AWS SDK's retry layer re-wraps a network
 * error it does not recognise as an Error (one from another V8 realm, e.g. a sandbox) into a bare Error whose
 * only trace of the code is its message.
 */
export function unwrapError(err: unknown): AnyError {
	const e = (err ?? {}) as AnyError;
	if (!e.code && Array.isArray(e.errors) && e.errors.length) return { ...(e.errors[0] as AnyError), message: e.message };
	const wrapped = !e.code && typeof e.message === 'string' ? SDK_WRAPPER.exec(e.message) : null;
	if (wrapped) return { name: e.name, message: e.message, $metadata: e.$metadata, code: wrapped[1], port: wrapped[2] ? Number(wrapped[2]) : undefined };
	return e;
}

function endpointPort(endpoint: string | undefined): number | undefined {
	if (!endpoint) return undefined;
	try {
		const u = new URL(endpoint);
		return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
	} catch {
		return undefined;
	}
}

const isS3Error = (e: AnyError) => e.$metadata !== undefined || e.$fault !== undefined;

/**
 * An error n8n itself raised (expression, credentials, parameter) or one already converted by toNodeError, possibly
 * from n8n's own copy of n8n-workflow: the pack's copy is a peer dependency, so `instanceof` may fail while the
 * error is already explained.
 */
export function isN8nError(err: unknown): boolean {
	if (!(err instanceof Error)) return false;
	const e = err as Error & { context?: unknown };
	return typeof e.context === 'object' && e.context !== null && 'functionality' in e && /^(Node\w*|Expression|Workflow\w*)Error$/.test(e.name);
}

/**
 * Turns an error from the core modules (or the driver/SDK underneath) into a message plus a fix. Pure: no n8n
 * runtime, so the mapping is unit-tested on its own.
 */
export function explainError(err: unknown, scope: ErrorScope = {}): ErrorExplanation {
	if (isN8nError(err)) {
		const e = err as Error & { description?: string | null; httpCode?: string | null };
		return { message: e.message, description: e.description ?? '', kind: e.name === 'NodeApiError' ? 'api' : 'operation', httpCode: e.httpCode ?? undefined };
	}
	if (err instanceof LoadError) {
		// The core wraps whatever broke the load; when that was the network, say which credentials to test.
		const unreachable = NETWORK_CODE_IN_TEXT.test(err.message)
			? ' Could not reach a server: check the DataAcuity Object Store and DataAcuity Postgres credentials with their Test buttons.'
			: '';
		return { message: err.message, description: `${err.hint}${unreachable}`, kind: 'operation' };
	}
	const hint = coreErrorHint(err);
	if (hint) return { message: redactErrorText((err as Error).message), ...hint };
	if (err instanceof CredentialConfigError) {
		return { message: err.message, description: `Open the ${err.credential} credential and fix: ${err.fields.join(', ')}.`, kind: 'operation' };
	}
	if (err instanceof UnknownTableError) {
		return {
			message: err.message,
			description:
				'Choose the table from the list (it is read from dwh_control.source_tables), or add it to dwh-control-sql/source-registry.json and run `npm run dwh:registry-sync`.',
			kind: 'operation',
		};
	}
	if (err instanceof CsvPathError) {
		return {
			message: err.message,
			description:
				"Pass the csvPath that WatermarkExtract output for the same table and run (e.g. {{ $json.csvPath }}); it must lie in the object-store credential's bucket under <prefix>/exports/<table>/.",
			kind: 'operation',
		};
	}
	if (err instanceof ZodError) {
		const problems = err.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message));
		return {
			message: `Invalid input — ${problems.join('; ')}`,
			description: 'Fix the named field(s) in the node parameters or the incoming item.',
			kind: 'operation',
		};
	}

	const e = unwrapError(err);
	const message = e.message ?? String(err);
	if (isS3Error(e) || (e.code && NETWORK_CODES.has(e.code) && scope.store && e.port !== undefined && e.port === endpointPort(scope.store.endpoint))) {
		if (scope.store) {
			const status = e.$metadata?.httpStatusCode;
			return {
				message: describeObjectStoreError(e, scope.store),
				description: 'Check the DataAcuity Object Store credential (Endpoint, keys, Bucket) and use its Test button; the S3 server must be running.',
				kind: 'api',
				httpCode: status ? String(status) : undefined,
			};
		}
		return {
			message: `Object store request failed: ${redactErrorText(message)}`,
			description: 'Check the DataAcuity Object Store credential and use its Test button.',
			kind: 'api',
		};
	}

	const connectionFailure =
		(e.code && (NETWORK_CODES.has(e.code) || POSTGRES_LOGIN_CODES.has(e.code))) ||
		/timeout exceeded when trying to connect|Connection terminated/i.test(message);
	if (connectionFailure) {
		// The port tells which server refused; the warehouse is assumed when it is ambiguous.
		const other = (
			[
				[scope.source, 'DataAcuity Postgres Source Replica'],
				[scope.analytics, 'DataAcuity Postgres Analytics DB'],
			] as const
		).find(([c]) => c && e.port !== undefined && e.port === c.port && e.port !== scope.warehouse?.port);
		const conn = other ? other[0] : scope.warehouse ?? scope.source ?? scope.analytics;
		const credential = other ? other[1] : 'DataAcuity Postgres';
		return {
			message: conn ? describeConnectionError(e, conn) : `Could not connect to Postgres: ${message}`,
			description: `Check the ${credential} credential (Host, Port, User, Password, SSL Mode) and use its Test button.`,
			kind: 'api',
		};
	}
	if (e.code && SQLSTATE.test(e.code)) {
		return {
			message: `Postgres error ${e.code}: ${safeErrorText(e, { sqlstate: false })}`,
			description: postgresHint(e) ?? 'See the Postgres error code in the message; nothing was committed by the failed step.',
			kind: 'api',
		};
	}
	return {
		message: redactErrorText(message),
		description: scope.area ? AREA_HINTS[scope.area] : 'See the message; nothing is committed unless a step reports it as loaded.',
		kind: 'operation',
	};
}
