import type pg from 'pg';
import { subjectHmac } from '../anonymise/hashing';
import type { Difference } from './compare';
import type { Side } from './side';

export interface ForgottenCheck {
	/** The differences left to report (and repair). */
	differences: Difference[];
	/** Differing keys whose row belongs to a forgotten person: neither reported nor re-extracted. */
	forgotten: number;
	/** False when people were forgotten but the run has no HMAC key to tell their rows apart: re-extract nothing. */
	reextract: boolean;
	note: string | null;
}

/**
 * Forget Users removes a person from bronze while the source may keep their rows (the apps soft-delete users, design
 * §6.8); to a reconcile those rows are missing (or stale) in bronze, and re-extracting them would bring the person
 * back. So the subject of each such key is read from the source, its HMAC (the forget register's identifier, under
 * the anonymisation-secrets key) looked up in rtbf_subjects, and the keys of forgotten people dropped. The ids stay
 * in memory; nothing but the count is recorded. Without the key no row can be told apart: if anyone was forgotten,
 * nothing is re-extracted and the run says why.
 */
export async function excludeForgotten(
	warehouse: pg.Pool,
	source: Side,
	subject: string,
	differences: Difference[],
	hmacKey?: string,
): Promise<ForgottenCheck> {
	const present = differences.filter((d) => d.kind !== 'extra_in_bronze');
	if (!present.length) return { differences, forgotten: 0, reextract: true, note: null };
	if (!hmacKey) {
		const { rows } = await warehouse.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM dwh_control.rtbf_subjects) AS any');
		if (!rows[0].any) return { differences, forgotten: 0, reextract: true, note: null };
		return {
			differences,
			forgotten: 0,
			reextract: false,
			note:
				`${present.length} missing or stale key(s) not re-extracted: this table holds personal data and people have been forgotten, ` +
				'so their rows may be among them — give the reconcile the DataAcuity Anonymisation Secrets credential (HMAC key) to tell them apart',
		};
	}
	const subjects = await source.subjects(
		present.map((d) => d.key),
		subject,
	);
	const hmacs = new Map(subjects.filter((s) => s.subject !== null).map((s) => [JSON.stringify(s.key), subjectHmac(hmacKey, s.subject!.trim())]));
	const { rows } = await warehouse.query<{ h: string }>('SELECT subject_hmac AS h FROM dwh_control.rtbf_subjects WHERE subject_hmac = ANY($1::text[])', [
		[...new Set(hmacs.values())],
	]);
	const gone = new Set(rows.map((r) => r.h));
	const kept = differences.filter((d) => d.kind === 'extra_in_bronze' || !gone.has(hmacs.get(JSON.stringify(d.key)) ?? ''));
	const forgotten = differences.length - kept.length;
	return {
		differences: kept,
		forgotten,
		reextract: true,
		note: forgotten ? `${forgotten} differing key(s) belong to forgotten people: not reported, not re-extracted` : null,
	};
}
