import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DbtSetupError } from './validationError';

/** The `name:` of dbt_project.yml: the lock key and what error messages call the project. */
export function readProjectName(projectDir: string): string {
	const file = path.join(projectDir, 'dbt_project.yml');
	let text: string;
	try {
		text = readFileSync(file, 'utf8');
	} catch {
		throw new DbtSetupError(`no dbt project at ${projectDir}: ${file} is missing. Set "Project Directory" in the dbt credential.`);
	}
	const m = /^name:\s*['"]?([A-Za-z0-9_]+)['"]?\s*(#.*)?$/m.exec(text);
	if (!m) throw new DbtSetupError(`${file} has no top-level name:`);
	return m[1];
}
