import { ItemsPiiBlockedError } from '../../src/anonymise/itemGate';
import { ParameterLoggingError } from '../../src/anonymise/logSafety';
import { PolicyError, PolicyNameError } from '../../src/anonymise/policyLoader';
import { PiiCheckFailedError } from '../../src/anonymise/runner';
import { SaltMismatchError } from '../../src/anonymise/saltVersions';
import { PolicyCoverageError } from '../../src/anonymise/sqlBuilder';
import { VaultError } from '../../src/anonymise/vault';

/** What to do about each of the anonymise core's own errors; null for anything else (shared mapping applies). */
export function explainAnonymiseError(err: unknown): { message: string; description: string } | null {
	if (err instanceof PiiCheckFailedError) {
		return {
			message: err.message,
			description:
				'Fix the policy for the named columns (hash, tokenise, generalise or suppress them) and bump its version. If a column is a reviewed false positive, list it under pii_check.allow_columns with a reason.',
		};
	}
	if (err instanceof ItemsPiiBlockedError) {
		return {
			message: err.message,
			description:
				'A kept field holds what looks like personal data. Hash, generalise or suppress that field in the policy (and bump its version), or clean the input. If the field is a reviewed false positive, list it under pii_check.allow_columns with a reason.',
		};
	}
	if (err instanceof PolicyCoverageError) {
		return { message: err.message, description: `Edit policies/${err.sourceDb}.policy.json (table ${err.table}) and bump its version; the previous intermediate table is unchanged.` };
	}
	if (err instanceof PolicyNameError) return { message: err.message, description: 'Set Source Database to the name of a registered source database (its policy file is policies/<name>.policy.json); nothing was run.' };
	if (err instanceof PolicyError) return { message: err.message, description: 'Fix the named field in the policy file; nothing was run.' };
	if (err instanceof SaltMismatchError) return { message: err.message, description: 'Open the DataAcuity Anonymisation Secrets credential and restore the salt value of that version.' };
	if (err instanceof ParameterLoggingError) return { message: err.message, description: 'Nothing was sent: a DBA must stop the warehouse from logging bound parameters for this login: run the ALTER ROLE / GRANT SET the message names (docs/security.md, "Server logs").' };
	if (err instanceof VaultError) return { message: err.message, description: 'Check the vault fields of the DataAcuity Anonymisation Secrets credential.' };
	return null;
}
