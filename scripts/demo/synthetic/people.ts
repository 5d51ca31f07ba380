import type { Faker } from '@faker-js/faker';
import { EMAIL_DOMAINS, SA_CITIES, type City } from './places';
import { saIdNumber, type Gender } from './saId';

/** Vodacom, MTN, Cell C and Telkom mobile prefixes (the digits after +27). */
const MOBILE_PREFIXES = ['60', '61', '62', '63', '64', '65', '66', '67', '71', '72', '73', '74', '76', '78', '79', '81', '82', '83', '84'];

export interface SyntheticPerson {
	firstName: string;
	lastName: string;
	gender: Gender;
	dateOfBirth: string;
	saIdNumber: string;
	email: string;
	phone: string;
	city: City;
}

export function pickCity(f: Faker): City {
	return f.helpers.weightedArrayElement(SA_CITIES.map((c) => ({ value: c, weight: c.weight })));
}

/** A GPS point within roughly `radiusKm` of the city centre (good enough at these latitudes). */
export function pointNear(f: Faker, city: City, radiusKm = 12): { lat: number; lng: number } {
	const dLat = (f.number.float({ min: -1, max: 1 }) * radiusKm) / 111;
	const dLng = (f.number.float({ min: -1, max: 1 }) * radiusKm) / (111 * Math.cos((city.lat * Math.PI) / 180));
	return { lat: Number((city.lat + dLat).toFixed(6)), lng: Number((city.lng + dLng).toFixed(6)) };
}

export function mobileNumber(f: Faker): string {
	return `+27${f.helpers.arrayElement(MOBILE_PREFIXES)}${f.string.numeric(7)}`;
}

/** `seq` makes emails and ID numbers unique without retry loops. */
export function person(f: Faker, seq: number): SyntheticPerson {
	const gender: Gender = f.helpers.arrayElement(['female', 'male']);
	const firstName = f.person.firstName(gender);
	const lastName = f.person.lastName();
	const dob = f.date.birthdate({ mode: 'age', min: 16, max: 80 });
	const local = `${firstName}.${lastName}`
		.toLowerCase()
		.normalize('NFKD')
		.replace(/[^a-z.]/g, '');
	return {
		firstName,
		lastName,
		gender,
		dateOfBirth: dob.toISOString().slice(0, 10),
		saIdNumber: saIdNumber(dob, gender, seq),
		email: `${local}${seq}@${f.helpers.arrayElement(EMAIL_DOMAINS)}`,
		phone: mobileNumber(f),
		city: pickCity(f),
	};
}

/** South African mobile-network public IPv4 ranges (Vodacom, MTN, Telkom, Rain), for realistic session rows. */
export function saIpAddress(f: Faker): string {
	const first = f.helpers.arrayElement([41, 102, 105, 154, 160, 196, 197]);
	return `${first}.${f.number.int({ min: 0, max: 255 })}.${f.number.int({ min: 0, max: 255 })}.${f.number.int({ min: 1, max: 254 })}`;
}

/** Rand amounts skewed towards everyday spend, two decimals, as text so numeric(…) gets the exact value. */
export function zarAmount(f: Faker, min = 5, max = 25_000): string {
	const u = f.number.float({ min: 0, max: 1 });
	return (min + (max - min) * u ** 4).toFixed(2);
}

/** A timestamp between `daysAgo` days ago and `minutesAgo` minutes ago, as ISO text. */
export function pastTime(f: Faker, daysAgo: number, minutesAgo = 5): Date {
	const to = new Date(Date.now() - minutesAgo * 60_000);
	return f.date.between({ from: new Date(Date.now() - daysAgo * 86_400_000), to });
}

/** A time after `from` but not later than `minutesAgo` minutes ago. */
export function laterTime(f: Faker, from: Date, minutesAgo = 5): Date {
	const to = new Date(Date.now() - minutesAgo * 60_000);
	return from.getTime() >= to.getTime() ? from : f.date.between({ from, to });
}

/** `{ active: 92, closed: 5 }` → faker's weighted list, in that order. */
export function weighted<T extends string>(weights: Record<T, number>): { value: T; weight: number }[] {
	return (Object.entries(weights) as [T, number][]).map(([value, weight]) => ({ value, weight }));
}

/** A generated row's `created_at`: the given time, or none (null) so the column's DEFAULT now() stamps it as the app does. */
export function stampedAt(at: Date | null): { created_at?: string } {
	return at ? { created_at: at.toISOString() } : {};
}
