import { z } from 'zod';

/**
 * reference-data/sources.json: what the packaged reference data was generated from (npm run reference-data), so a
 * load records its true source and a library bump without regenerating is caught by the unit tests.
 */
export const referenceSourcesSchema = z
	.object({
		holidays: z.object({ library: z.string(), fromYear: z.number().int(), toYear: z.number().int(), countries: z.number().int() }).strict(),
		places: z.object({ library: z.string(), adminLibrary: z.string(), places: z.number().int(), admin1: z.number().int(), admin2: z.number().int() }).strict(),
	})
	.strict();
export type ReferenceSources = z.infer<typeof referenceSourcesSchema>;

/** One holiday as packaged: [date YYYY-MM-DD, name, date-holidays type, substitute (1) or not (0)]. */
export const packagedHolidaySchema = z.tuple([z.string().regex(/^\d{4}-\d{2}-\d{2}$/), z.string(), z.string(), z.union([z.literal(0), z.literal(1)])]);
export const packagedHolidaysSchema = z.record(z.string().regex(/^[A-Z]{2}$/), z.array(packagedHolidaySchema));
export type PackagedHolidays = z.infer<typeof packagedHolidaysSchema>;
