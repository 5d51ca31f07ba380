import { ItemsPiiBlockedError } from '../../src/anonymise/itemGate';
import { ParameterLoggingError } from '../../src/anonymise/logSafety';
import { PolicyError, PolicyNameError } from '../../src/anonymise/policyLoader';
import { PiiCheckFailedError } from '../../src/anonymise/runner';
import { SaltMismatchError } from '../../src/anonymise/saltVersions';
import { PolicyCoverageError } from '../../src/anonymise/sqlBuilder';
import { VaultError } from '../../src/anonymise/vault';
import { VerificationTokenError } from '../../src/anonymise/verificationToken';
import { DbtCloudError } from '../../src/dbt/cloud/dbtCloudClient';
import { DbtProjectBusyError } from '../../src/dbt/projectLock';
import { DbtArtifactError, DbtInputError, DbtSetupError } from '../../src/dbt/validationError';
import { FxSourceError } from '../../src/enrich/fxIngest';
import { GeonamesFormatError } from '../../src/enrich/geonamesFormat';
import { GeoServiceError } from '../../src/enrich/geoService';
import { EnrichConfigError, EnrichInputError } from '../../src/enrich/parseConfig';
import { PiiBlockedError } from '../../src/pushback/piiGate';
import { PushFailedError } from '../../src/pushback/pushTarget';
import { PushTargetConfigError } from '../../src/pushback/target.schema';
import { PushTargetError } from '../../src/pushback/targetTable';
import { PushSourceError } from '../../src/pushback/warehouseSource';
import { DependentViewError } from '../../src/transport/publishTable';
import { IncidentGateError } from '../../src/webhook/gate.schema';

/** What the user does about one of the core's own errors; their messages already say what is wrong. */
export interface CoreErrorHint {
	description: string;
	/** 'api' when a remote service failed us (NodeApiError), otherwise input or configuration the user controls. */
	kind: 'api' | 'operation';
	httpCode?: string;
}

type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;
type Rule = [ErrorClass<Error>, (err: never) => string, 'api'?];
/** `hint`: the text, or a function of the error where the text names what the error carries. */
const rule = <E extends Error>(cls: ErrorClass<E>, hint: string | ((err: E) => string), kind?: 'api'): Rule => [
	cls,
	(typeof hint === 'string' ? () => hint : hint) as (err: never) => string,
	kind,
];

/** A source or target the push could not use: refused before anything was written. */
const NOTHING_PUSHED = 'Nothing was pushed; the run is logged as failed in dwh_control.push_runs.';

/** One rule per error class of the core, by area; the first whose class matches gives the hint. */
const RULES: Rule[] = [
	// Anonymise
	rule(
		PiiCheckFailedError,
		'Fix the policy for the named columns (hash, tokenise, generalise or suppress them) and bump its version. If a column is a reviewed false positive, list it under pii_check.allow_columns with a reason.',
	),
	rule(
		ItemsPiiBlockedError,
		'A kept field holds what looks like personal data. Hash, generalise or suppress that field in the policy (and bump its version), or clean the input. If the field is a reviewed false positive, list it under pii_check.allow_columns with a reason.',
	),
	rule(
		PolicyCoverageError,
		(e) => `Edit policies/${e.sourceDb}.policy.json (table ${e.table}) and bump its version; the previous intermediate table is unchanged.`,
	),
	rule(PolicyNameError, 'Set Source Database to the name of a registered source database (its policy file is policies/<name>.policy.json); nothing was run.'),
	rule(PolicyError, 'Fix the named field in the policy file; nothing was run.'),
	rule(SaltMismatchError, 'Open the DataAcuity Anonymisation Secrets credential and restore the salt value of that version.'),
	rule(
		ParameterLoggingError,
		'Nothing was sent: a DBA must stop the warehouse from logging bound parameters for this login: run the ALTER ROLE / GRANT SET the message names (docs/security.md, "Server logs").',
	),
	rule(
		VerificationTokenError,
		'Pass the verificationToken a Forget Users item output, with the same DataAcuity Anonymisation Secrets credential (its HMAC key sealed it), or set Users to Given User ID.',
	),
	rule(VaultError, 'Check the vault fields of the DataAcuity Anonymisation Secrets credential.'),

	// Push Back
	rule(PushTargetConfigError, 'Fix the named parameter(s) of the custom target.'),
	rule(PiiBlockedError, 'The source was checked by the Anonymise PII scan before anything left the warehouse; analytics_db was not touched.'),
	rule(PushSourceError, NOTHING_PUSHED),
	rule(PushTargetError, NOTHING_PUSHED),
	rule(PushFailedError, 'The push transaction was rolled back: apps still read the previous data. Details are in dwh_control.push_runs.'),

	// DbtRun
	rule(DbtInputError, 'Fix the named field in the node parameters (or the dbtCommand of the input item); dbt was not started.'),
	rule(DbtSetupError, 'Open the DataAcuity Dbt credential and fix Project Directory or Command Prefix as the message says; dbt was not started.'),
	rule(
		DbtArtifactError,
		'dbt ran but wrote results this node cannot read: check that the credential runs the dbt Core version docs/dbt.md names, then run again.',
	),
	rule(DbtProjectBusyError, 'Nothing was run. Let the other run finish, or raise Options → Lock Wait (Seconds) to queue behind it.'),
	rule(
		DbtCloudError,
		'Check the DataAcuity Dbt credential (dbt Cloud Base URL, Account ID, API Token) and the Job ID; a run already started keeps running in dbt Cloud.',
		'api',
	),
	rule(IncidentGateError, 'Open this node and fix Duplicate Window (Seconds) / Max Request Age (Seconds) as the message says.'),

	// Enrich
	rule(EnrichConfigError, 'Fix the named parameter(s) of the node; nothing was written.'),
	rule(EnrichInputError, 'Fix what the message names (a parameter of this node, the relation or its columns, or the input items); nothing was written.'),
	rule(FxSourceError, 'Check FX API Base URL and the FX access key of the DataAcuity Enrichment APIs credential; rates already stored are unchanged.', 'api'),
	rule(
		GeoServiceError,
		'Check Geo Service URL and the geo key of the DataAcuity Enrichment APIs credential, or use the Places Table backend; answers already fetched stay cached.',
		'api',
	),
	rule(GeonamesFormatError, 'Point Cities File at a GeoNames cities*.txt file (or use the bundled places); marts.dim_places is unchanged.'),

	// Publishing a rebuilt table (Anonymise, Enrich)
	rule(DependentViewError, 'Nothing was replaced. Drop or change the named view(s) that read the table, then run again.'),
];

/** The node type's last word (n8n-nodes-dataacuity.<area>) for errors no rule above knows. */
export type NodeArea = 'watermarkExtract' | 'blobLoadBronze' | 'anonymise' | 'enrich' | 'pushBack' | 'dbtRun';

/** What to do about an error no rule knows (a driver or file-system error, a bug), by the node it happened in. */
export const AREA_HINTS: Record<NodeArea, string> = {
	watermarkExtract:
		'Fix what the message names and run again: the run is logged in dwh_control.extract_runs, and the watermark only moves when a load commits.',
	blobLoadBronze:
		"Nothing is committed unless a step reports it as loaded; the CSV stays in exports/ and can be loaded again once the message's cause is fixed.",
	anonymise: 'Fix what the message names and run again; docs/anonymise.md describes what each operation changes.',
	enrich:
		'Fix what the message names and run again: a rebuilt table or reference table replaces the old one only when complete; FX rates and geo answers already stored stay (docs/enrich.md).',
	pushBack: 'Fix what the message names and run again; the run is logged in dwh_control.push_runs and apps keep reading the previous data (docs/pushback.md).',
	dbtRun: 'Fix what the message names and run again; the run is logged in dwh_control.dbt_runs (docs/dbt.md).',
};

export function areaOf(nodeType: string): NodeArea | undefined {
	const area = nodeType.slice(nodeType.lastIndexOf('.') + 1);
	return Object.hasOwn(AREA_HINTS, area) ? (area as NodeArea) : undefined;
}

/** The hint for an error of the anonymise, push-back, dbt, webhook or enrich core; null for anything else. */
export function coreErrorHint(err: unknown): CoreErrorHint | null {
	for (const [cls, hint, kind] of RULES) {
		if (!(err instanceof cls)) continue;
		const status = err instanceof DbtCloudError ? err.httpStatus : undefined;
		return { description: hint(err as never), kind: kind ?? 'operation', httpCode: status ? String(status) : undefined };
	}
	return null;
}

/** What to change for the SQLSTATEs a user can fix themselves; null for the rest. */
export function postgresHint(e: { code?: string; message?: string }): string | null {
	const msg = e.message ?? '';
	switch (e.code) {
		case '42P01':
		case '3F000':
			if (/dwh_control/.test(msg))
				return 'The warehouse has no dwh_control schema yet — run `npm run dwh:migrate` against it, then `npm run dwh:registry-sync`.';
			return 'A table or schema the pipeline needs is missing — check the registry entry and that the warehouse is migrated.';
		case '42501':
			return "The credential's user lacks a privilege — grant it on the warehouse/source (see docs/nodes.md#permissions) or use the owner login.";
		case '57014':
			return 'A statement hit the statement timeout — raise Statement Timeout (Ms) in the Postgres credential, or set it to 0.';
		case '53300':
			return 'The server has no free connection slots — lower Max Connections in the credential or wait for other jobs to finish.';
		case '25006':
			return 'The connection is read-only — the warehouse credential must point at the primary, not a replica.';
		default:
			return null;
	}
}
