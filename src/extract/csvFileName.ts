import { isIanaTimeZone } from '../config/timeZone';
/**
 * `<YYYYMMDD_HHMM>_<TZ>_<run id>.csv` (manual §4 B plus the run id, so two runs in the same minute never collide).
 * The zone abbreviation is the local one (SAST, EAT, UTC); zones without a letters-only abbreviation get
 * UTCp0530 / UTCm0500, because '+' in an object key is decoded as a space by some S3 servers.
 */
export function csvFileName(at: Date, timeZone: string, runId: string | number): string {
	const parts = Object.fromEntries(
		new Intl.DateTimeFormat('en-GB', {
			timeZone,
			year: 'numeric',
			month: '2-digit',
			day: '2-digit',
			hour: '2-digit',
			minute: '2-digit',
			hourCycle: 'h23',
		})
			.formatToParts(at)
			.map((p) => [p.type, p.value]),
	);
	return `${parts.year}${parts.month}${parts.day}_${parts.hour}${parts.minute}_${zoneLabel(at, timeZone)}_${runId}.csv`;
}

export function zoneLabel(at: Date, timeZone: string): string {
	for (const locale of ['en-ZA', 'en-US']) {
		const name = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value;
		if (name && /^[A-Z]{2,5}$/.test(name)) return name;
	}
	const offset = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value; // e.g. GMT+05:30
	const m = /GMT([+-])(\d{2}):(\d{2})/.exec(offset ?? '');
	if (!m) return 'UTC';
	return `UTC${m[1] === '+' ? 'p' : 'm'}${m[2]}${m[3]}`;
}

export function assertTimeZone(timeZone: string): void {
	if (!isIanaTimeZone(timeZone)) {
		throw new Error(`Export Timezone "${timeZone}" is not an IANA time zone (e.g. Africa/Johannesburg, UTC)`);
	}
}
