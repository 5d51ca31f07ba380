import { ParameterLoggingError } from '../../src/anonymise/logSafety';
import { PolicyError, PolicyNameError } from '../../src/anonymise/policyLoader';
import { PiiCheckFailedError } from '../../src/anonymise/runner';
import { SaltMismatchError } from '../../src/anonymise/saltVersions';
import { PolicyCoverageError } from '../../src/anonymise/sqlBuilder';
import { VaultError } from '../../src/anonymise/vault';
import { DbtCloudError } from '../../src/dbt/cloud/dbtCloudClient';
import { DbtProjectBusyError } from '../../src/dbt/projectLock';
import { DbtInputError } from '../../src/dbt/validationError';
import { FxSourceError } from '../../src/enrich/fxIngest';
import { GeonamesFormatError } from '../../src/enrich/geonamesFormat';
import { GeoServiceError } from '../../src/enrich/geoService';
import { EnrichConfigError } from '../../src/enrich/parseConfig';
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
const rule = <E extends Error>(cls: ErrorClass<E>, hint: (err: E) => string, kind?: 'api'): Rule => [cls, hint as (err: never) => string, kind];

const ANONYMISE: Rule[] = [
	rule(PiiCheckFailedError, () => 'Fix the policy for the named columns (hash, tokenise, generalise or suppress them) and bump its version. If a column is a reviewed false positive, list it under pii_check.allow_columns with a reason.'),
	rule(PolicyCoverageError, (e) => `Edit policies/${e.sourceDb}.policy.json (table ${e.table}) and bump its version; the previous intermediate table is unchanged.`),
	rule(PolicyNameError, () => 'Set Source Database to the name of a registered source database (its policy file is policies/<name>.policy.json); nothing was run.'),
	rule(PolicyError, () => 'Fix the named field in the policy file; nothing was run.'),
	rule(SaltMismatchError, () => 'Open the DataAcuity Anonymisation Secrets credential and restore the salt value of that version.'),
	rule(ParameterLoggingError, () => 'Nothing was sent: a DBA must stop the warehouse from logging bound parameters for this login: run the ALTER ROLE / GRANT SET the message names (docs/security.md, "Server logs").'),
	rule(VaultError, () => 'Check the vault fields of the DataAcuity Anonymisation Secrets credential.'),
];

const PUSH_BACK: Rule[] = [
	rule(PushTargetConfigError, () => 'Fix the named parameter(s) of the custom target.'),
	rule(PiiBlockedError, () => 'The source was checked by the Anonymise PII scan before anything left the warehouse; analytics_db was not touched.'),
	rule(PushSourceError, () => 'Nothing was pushed; the run is logged as failed in dwh_control.push_runs.'),
	rule(PushTargetError, () => 'Nothing was pushed; the run is logged as failed in dwh_control.push_runs.'),
	rule(PushFailedError, () => 'The push transaction was rolled back: apps still read the previous data. Details are in dwh_control.push_runs.'),
];

const DBT: Rule[] = [
	rule(DbtInputError, () => 'Fix the named field in the node parameters (or the dbtCommand of the input item); dbt was not started.'),
	rule(DbtProjectBusyError, () => 'Nothing was run. Let the other run finish, or raise Options → Lock Wait (Seconds) to queue behind it.'),
	rule(DbtCloudError, () => 'Check the DataAcuity Dbt credential (dbt Cloud Base URL, Account ID, API Token) and the Job ID; a run already started keeps running in dbt Cloud.', 'api'),
	rule(IncidentGateError, () => 'Open this node and fix Duplicate Window (Seconds) / Max Request Age (Seconds) as the message says.'),
];

const ENRICH: Rule[] = [
	rule(EnrichConfigError, () => 'Fix the named parameter(s) of the node; nothing was written.'),
	rule(FxSourceError, () => 'Check FX API Base URL and the FX access key of the DataAcuity Enrichment APIs credential; rates already stored are unchanged.', 'api'),
	rule(GeoServiceError, () => 'Check Geo Service URL and the geo key of the DataAcuity Enrichment APIs credential, or use the Places Table backend; answers already fetched stay cached.', 'api'),
	rule(GeonamesFormatError, () => 'Point Cities File at a GeoNames cities*.txt file (or use the bundled places); marts.dim_places is unchanged.'),
];

/** Publishing a rebuilt table (Anonymise, Enrich). */
const PUBLISH: Rule[] = [rule(DependentViewError, () => 'Nothing was replaced. Drop or change the named view(s) that read the table, then run again.')];

const RULES = [...ANONYMISE, ...PUSH_BACK, ...DBT, ...ENRICH, ...PUBLISH];

/** The hint for an error of the anonymise, push-back, dbt, webhook or enrich core; null for anything else. */
export function coreErrorHint(err: unknown): CoreErrorHint | null {
	for (const [cls, hint, kind] of RULES) {
		if (!(err instanceof cls)) continue;
		const status = err instanceof DbtCloudError ? err.httpStatus : undefined;
		return { description: hint(err as never), kind: kind ?? 'operation', httpCode: status ? String(status) : undefined };
	}
	return null;
}
