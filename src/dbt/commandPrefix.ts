import { DbtSetupError } from './validationError';

/**
 * Splits the credential's command prefix (e.g. `docker exec -i dbt_transform`) into argv words without a shell:
 * whitespace separates words, single or double quotes group them, backslash escapes the next character. Shell
 * operators are rejected rather than passed on literally, because their presence means the user expects a shell.
 */
export function splitCommandPrefix(prefix: string): string[] {
	const words: string[] = [];
	let cur = '';
	let inWord = false;
	let quote: '"' | "'" | null = null;
	for (let i = 0; i < prefix.length; i++) {
		const ch = prefix[i];
		if (quote) {
			if (ch === quote) quote = null;
			else if (ch === '\\' && quote === '"' && i + 1 < prefix.length) cur += prefix[++i];
			else cur += ch;
			continue;
		}
		if (ch === '"' || ch === "'") {
			quote = ch;
			inWord = true;
		} else if (ch === '\\' && i + 1 < prefix.length) {
			cur += prefix[++i];
			inWord = true;
		} else if (/\s/.test(ch)) {
			if (inWord) words.push(cur);
			cur = '';
			inWord = false;
		} else if (';&|<>`$(){}'.includes(ch)) {
			throw new DbtSetupError(
				`command prefix must be a plain command such as "docker exec -i dbt_transform"; "${ch}" would need a shell, and dbt is never run through one`,
			);
		} else {
			cur += ch;
			inWord = true;
		}
	}
	if (quote) throw new DbtSetupError('command prefix has an unterminated quote');
	if (inWord) words.push(cur);
	return words;
}
