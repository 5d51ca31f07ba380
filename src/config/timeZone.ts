/** Whether the runtime knows `zone` as an IANA time zone (Africa/Johannesburg, UTC); Postgres uses the same database. */
export function isIanaTimeZone(zone: string): boolean {
	try {
		new Intl.DateTimeFormat('en-US', { timeZone: zone });
		return true;
	} catch {
		return false;
	}
}
