import { execFile } from 'node:child_process';
import type { ICredentialDataDecryptedObject, ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { splitCommandPrefix } from '../../../src/dbt/commandPrefix';
import { resolveDbtBinary } from '../../../src/dbt/dbtBinary';

/** Starts `dbt --version` exactly as a run would (prefix, executable), so a wrong path or container fails here. */
export async function dataAcuityDbtTest(this: ICredentialTestFunctions | void, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const data = (credential.data ?? {}) as ICredentialDataDecryptedObject;
	let argv: string[];
	try {
		const prefix = splitCommandPrefix(typeof data.commandPrefix === 'string' ? data.commandPrefix : '');
		argv = [...prefix, resolveDbtBinary(typeof data.dbtBin === 'string' ? data.dbtBin : ''), '--version'];
	} catch (err) {
		return { status: 'Error', message: (err as Error).message };
	}
	return new Promise((resolve) => {
		execFile(
			argv[0],
			argv.slice(1),
			{ timeout: 60_000, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DBT_VERSION_CHECK: 'false' } },
			(err, stdout) => {
				if (err) {
					const code = (err as NodeJS.ErrnoException).code;
					resolve({
						status: 'Error',
						message:
							code === 'ENOENT' ? `dbt not found: ${argv[0]} — set "dbt Executable" or install dbt` : `dbt --version failed: ${err.message.split('\n')[0]}`,
					});
					return;
				}
				const core = /installed:\s*([\d.]+)/.exec(stdout)?.[1] ?? /dbt version:\s*([\d.]+)/i.exec(stdout)?.[1];
				resolve({ status: 'OK', message: core ? `dbt Core ${core} found` : 'dbt found' });
			},
		);
	});
}
