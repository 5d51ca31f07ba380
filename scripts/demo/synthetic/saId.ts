/**
 * South African ID numbers (YYMMDD SSSS C A Z): date of birth, a sequence whose range encodes gender
 * (0000–4999 female, 5000–9999 male), citizenship (0 citizen, 1 permanent resident), a legacy digit (8) and a
 * Luhn check digit. Synthetic numbers must pass the same checks real validators run, or the anonymise step would
 * be tested on data it rejects.
 */
export function luhnCheckDigit(payload: string): number {
	let sum = 0;
	// Counting from the right of the payload: the check digit will sit to its right, so the payload's last digit is doubled.
	for (let i = 0; i < payload.length; i++) {
		let d = Number(payload[payload.length - 1 - i]);
		if (i % 2 === 0) {
			d *= 2;
			if (d > 9) d -= 9;
		}
		sum += d;
	}
	return (10 - (sum % 10)) % 10;
}

export function isValidLuhn(digits: string): boolean {
	return /^\d+$/.test(digits) && luhnCheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);
}

export type Gender = 'female' | 'male';

export function saIdNumber(dateOfBirth: Date, gender: Gender, sequence: number, citizen = true): string {
	const yy = String(dateOfBirth.getUTCFullYear() % 100).padStart(2, '0');
	const mm = String(dateOfBirth.getUTCMonth() + 1).padStart(2, '0');
	const dd = String(dateOfBirth.getUTCDate()).padStart(2, '0');
	const seq = (gender === 'male' ? 5000 : 0) + (Math.abs(Math.trunc(sequence)) % 5000);
	const payload = `${yy}${mm}${dd}${String(seq).padStart(4, '0')}${citizen ? 0 : 1}8`;
	return `${payload}${luhnCheckDigit(payload)}`;
}

/** Reads back what an ID number encodes; null when it is not a well-formed, Luhn-valid SA ID. */
export function parseSaIdNumber(id: string, now = new Date()): { dateOfBirth: string; gender: Gender; citizen: boolean } | null {
	if (!/^\d{13}$/.test(id) || !isValidLuhn(id)) return null;
	const yy = Number(id.slice(0, 2));
	const month = Number(id.slice(2, 4));
	const day = Number(id.slice(4, 6));
	// Two-digit years: anything that would lie in the future belongs to the previous century.
	const century = 2000 + yy > now.getUTCFullYear() ? 1900 : 2000;
	const dob = new Date(Date.UTC(century + yy, month - 1, day));
	if (dob.getUTCMonth() !== month - 1 || dob.getUTCDate() !== day) return null;
	return {
		dateOfBirth: dob.toISOString().slice(0, 10),
		gender: Number(id.slice(6, 10)) >= 5000 ? 'male' : 'female',
		citizen: id[10] === '0',
	};
}
