import { randomUUID } from 'node:crypto';
import { insertRows } from './insertRows';
import { laterTime, pastTime, person, saIpAddress, weighted, type SyntheticPerson } from './people';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	users: {
		columns: `
			first_name text NOT NULL,
			last_name text NOT NULL,
			email text NOT NULL UNIQUE,
			phone_e164 text NOT NULL,
			sa_id_number char(13),
			date_of_birth date,
			gender text,
			home_city text,
			province text,
			country char(2) NOT NULL DEFAULT 'ZA',
			marketing_opt_in boolean NOT NULL DEFAULT false,
			status text NOT NULL DEFAULT 'active',
		`,
		watermark: 'updated_at',
	},
	sessions: {
		columns: `
			user_id bigint NOT NULL REFERENCES users,
			ip_address inet,
			user_agent text,
			device_id text,
			started_at timestamptz NOT NULL,
			ended_at timestamptz,
		`,
		watermark: 'updated_at',
		id: 'uuid',
	},
	kyc_records: {
		columns: `
			user_id bigint NOT NULL REFERENCES users,
			document_type text NOT NULL,
			document_number text NOT NULL,
			kyc_tier text NOT NULL,
			status text NOT NULL,
			verified_at timestamptz,
			-- Biometrics: the registry excludes these, so they never leave the source (design doc §6.1 "Suppress").
			face_embedding real[],
			selfie_image bytea,
		`,
		watermark: 'updated_at',
	},
	phone_pins: {
		columns: `
			user_id bigint NOT NULL UNIQUE REFERENCES users,
			-- Secrets: excluded by the registry, never extracted.
			pin_hash text NOT NULL,
			pin_salt text NOT NULL,
			failed_attempts integer NOT NULL DEFAULT 0,
			locked_until timestamptz,
		`,
		watermark: 'updated_at',
	},
} satisfies SourceTables;

/** What AuthAPI stores of a person. */
function userColumns(p: SyntheticPerson): Record<string, unknown> {
	return {
		first_name: p.firstName,
		last_name: p.lastName,
		email: p.email,
		phone_e164: p.phone,
		sa_id_number: p.saIdNumber,
		date_of_birth: p.dateOfBirth,
		gender: p.gender,
		home_city: p.city.name,
		province: p.city.province,
	};
}

/** auth_db (AuthAPI): users, sessions, kyc_records, phone_pins — all incremental on updated_at. */
export const authDb = syntheticSource('auth_db', TABLES, {
	rows(f, rows, nUsers) {
		const users: Record<string, unknown>[] = [];
		const kyc: Record<string, unknown>[] = [];
		const pins: Record<string, unknown>[] = [];
		const sessions: Record<string, unknown>[] = [];
		for (let id = 1; id <= nUsers; id++) {
			const p = person(f, id);
			const created = pastTime(f, 400, 30);
			const updated = laterTime(f, created, 30);
			users.push({
				id,
				...userColumns(p),
				marketing_opt_in: f.datatype.boolean(0.35),
				status: f.helpers.weightedArrayElement(weighted({ active: 92, suspended: 3, closed: 5 })),
				created_at: created.toISOString(),
				updated_at: updated.toISOString(),
			});
			const tier = f.helpers.weightedArrayElement(weighted({ 'no-kyc': 20, basic: 45, verified: 35 }));
			if (tier !== 'no-kyc') {
				const verified = laterTime(f, created, 30);
				kyc.push({
					user_id: id,
					document_type: 'sa_id',
					document_number: p.saIdNumber,
					kyc_tier: tier,
					status: 'approved',
					verified_at: verified.toISOString(),
					face_embedding: tier === 'verified' ? Array.from({ length: 8 }, () => Number(f.number.float({ min: -1, max: 1 }).toFixed(4))) : null,
					selfie_image: tier === 'verified' ? `\\x${f.string.hexadecimal({ length: 32, casing: 'lower', prefix: '' })}` : null,
					created_at: created.toISOString(),
					updated_at: verified.toISOString(),
				});
			}
			pins.push({
				id,
				user_id: id,
				pin_hash: `$argon2id$v=19$m=65536,t=3,p=4$${f.string.alphanumeric(22)}$${f.string.alphanumeric(43)}`,
				pin_salt: f.string.alphanumeric(22),
				failed_attempts: f.helpers.weightedArrayElement([
					{ value: 0, weight: 90 },
					{ value: 1, weight: 7 },
					{ value: 3, weight: 3 },
				]),
				created_at: created.toISOString(),
				updated_at: laterTime(f, created, 30).toISOString(),
			});
		}
		for (let i = 0; i < rows; i++) {
			const started = pastTime(f, 60, 30);
			const ended = f.datatype.boolean(0.9) ? new Date(started.getTime() + f.number.int({ min: 30, max: 7200 }) * 1000) : null;
			sessions.push({
				id: randomUUID(),
				user_id: f.number.int({ min: 1, max: nUsers }),
				ip_address: saIpAddress(f),
				user_agent: f.internet.userAgent(),
				device_id: f.string.hexadecimal({ length: 16, casing: 'lower', prefix: '' }),
				started_at: started.toISOString(),
				ended_at: ended?.toISOString() ?? null,
				created_at: started.toISOString(),
				updated_at: (ended ?? started).toISOString(),
			});
		}
		return { users, sessions, kyc_records: kyc, phone_pins: pins };
	},
	async change(db, f, rows, users) {
		const fresh = Math.max(5, Math.round(users / 20));
		const { rows: max } = await db.query<{ id: string }>('SELECT max(id)::text AS id FROM users');
		const newUsers = Array.from({ length: fresh }, (_, i) => {
			const p = person(f, Number(max[0].id) + 1 + i);
			return userColumns(p);
		});
		await insertRows(db, 'users', newUsers);
		const moved = await db.query(
			`UPDATE users SET home_city = 'Cape Town', province = 'Western Cape', updated_at = now()
			  WHERE id IN (SELECT id FROM users WHERE home_city <> 'Cape Town' ORDER BY id LIMIT $1)`,
			[fresh],
		);
		const upgraded = await db.query(
			`UPDATE kyc_records SET kyc_tier = 'verified', verified_at = now(), updated_at = now()
			  WHERE id IN (SELECT id FROM kyc_records WHERE kyc_tier = 'basic' ORDER BY id LIMIT $1)`,
			[fresh],
		);
		const ended = await db.query(
			`UPDATE sessions SET ended_at = now(), updated_at = now() WHERE id IN (SELECT id FROM sessions WHERE ended_at IS NULL ORDER BY id LIMIT $1)`,
			[fresh],
		);
		return [
			`auth_db.users: ${fresh} sign-ups, ${moved.rowCount} users moved to Cape Town`,
			`auth_db.kyc_records: ${upgraded.rowCount} upgraded basic → verified`,
			`auth_db.sessions: ${ended.rowCount} open sessions ended`,
		];
	},
});
