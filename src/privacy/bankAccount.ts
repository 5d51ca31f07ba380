import { columnNameFindings } from './columnNames';

/**
 * South African bank account numbers: 9 to 11 digits (FNB 62xxxxxxxxx, Capitec 10 digits, Standard Bank 9–11) with no
 * check digit a third party can verify, so a digit run alone proves nothing — an order id or a timestamp is the
 * same shape. The rule needs context: a word that names an account or a bank shortly before the number, or a
 * column that is about accounts (the caller passes its name).
 */
const ACCOUNT_WORDS =
	/(?<![\p{L}\d])(?:acc(?:ount)?|acct|a\/c|rekening(?:nommer)?|rek|bank(?:ing)?|cheque|current|savings?|transmission|fnb|absa|nedbank|capitec|standard\s+bank|tymebank|tyme|investec|discovery|african\s+bank|bidvest|sasfin|ubank|postbank|branch)(?![\p{L}\d])/giu;
/**
 * 9–11 digits, optionally grouped by single spaces or dashes ("62 1234 5678"), standing alone: not part of a longer
 * number, and no letter on either side (a hex hash holds digit runs and the letters "acc" alike).
 */
const ACCOUNT_DIGITS = /(?<![\p{L}\d.,-])\d(?:[ -]?\d){8,10}(?![\p{L}\d]|[.,]\d|-\d)/gu;
/** A national phone number ("082 765 4321") is the phone rule's, not an account. */
const PHONE_SHAPED = /^0[1-8]\d{8}$/;

const CONTEXT_CHARS = 40;

export function isAccountColumn(column: string | undefined): boolean {
	if (!column) return false;
	if (columnNameFindings(column).includes('financial_account')) return true;
	const tokens = column
		.toLowerCase()
		.split(/[^a-z0-9]+/)
		.filter(Boolean);
	const last = tokens[tokens.length - 1];
	// account_id, account_type, account_hash: an internal key, a category or a derived value, not the number.
	if (['id', 'type', 'hash', 'token', 'count', 'status', 'kind', 'class', 'band', 'at'].includes(last)) return false;
	return tokens.some((t) => ['account', 'acct', 'acc', 'bank', 'rekening'].includes(t));
}

export function hasBankAccount(value: string, column?: string): boolean {
	if (!/\d{3}/.test(value)) return false;
	const accountColumn = isAccountColumn(column);
	ACCOUNT_DIGITS.lastIndex = 0;
	for (let m = ACCOUNT_DIGITS.exec(value); m; m = ACCOUNT_DIGITS.exec(value)) {
		const digits = m[0].replace(/[ -]/g, '');
		if (digits.length < 9 || digits.length > 11 || PHONE_SHAPED.test(digits)) continue;
		if (accountColumn && value.trim() === m[0]) return true;
		const before = value.slice(Math.max(0, m.index - CONTEXT_CHARS), m.index);
		ACCOUNT_WORDS.lastIndex = 0;
		if (ACCOUNT_WORDS.test(before)) return true;
	}
	return false;
}
