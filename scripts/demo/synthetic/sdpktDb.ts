import type { Faker } from '@faker-js/faker';
import { insertNewRows } from './insertRows';
import { laterTime, pastTime, stampedAt, weighted, zarAmount } from './people';
import { MERCHANTS } from './places';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	wallets: {
		columns: `
			user_id bigint NOT NULL UNIQUE,
			currency char(3) NOT NULL DEFAULT 'ZAR',
			balance numeric(18,2) NOT NULL DEFAULT 0,
			status text NOT NULL DEFAULT 'active',
		`,
		watermark: 'updated_at',
	},
	payments: {
		columns: `
			sender_id bigint NOT NULL,
			-- A person-to-person send has a receiver; a merchant payment has a merchant instead.
			receiver_id bigint,
			merchant_id bigint,
			merchant_name text,
			merchant_category text,
			amount numeric(18,2) NOT NULL CHECK (amount > 0),
			currency char(3) NOT NULL DEFAULT 'ZAR',
			-- Where the money goes: cross-border sends to the SADC neighbours are part of the product.
			country char(2) NOT NULL DEFAULT 'ZA',
			status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'settled', 'failed')),
			-- Typed by the sender: free text (policy: suppress).
			reference text,
		`,
		watermark: 'updated_at',
	},
	holds: {
		columns: `
			wallet_id bigint NOT NULL REFERENCES wallets,
			user_id bigint NOT NULL,
			amount numeric(18,2) NOT NULL,
			reason text NOT NULL,
			released_at timestamptz,
		`,
		watermark: 'updated_at',
	},
	merchant_settlements: {
		columns: `
			merchant_id bigint NOT NULL,
			merchant_name text NOT NULL,
			amount numeric(18,2) NOT NULL,
			fee numeric(18,2) NOT NULL,
			bank_account text NOT NULL,
			status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'paid')),
			settled_at timestamptz,
		`,
		watermark: 'updated_at',
	},
} satisfies SourceTables;

const COUNTRIES = weighted({ ZA: 88, ZW: 5, MZ: 3, LS: 2, BW: 2 });
const REFERENCES = ['rent', 'lunch money', 'for mom', 'stokvel', 'school fees', 'thanks!', 'petrol', null, null];

function payment(f: Faker, users: number, createdAt: Date | null): Record<string, unknown> {
	const merchantIdx = f.datatype.boolean(0.6) ? f.number.int({ min: 0, max: MERCHANTS.length - 1 }) : null;
	const merchant = merchantIdx === null ? null : MERCHANTS[merchantIdx];
	const sender = f.number.int({ min: 1, max: users });
	const receiver = merchant ? null : ((sender + f.number.int({ min: 1, max: users - 1 }) - 1) % users) + 1;
	return {
		sender_id: sender,
		receiver_id: receiver,
		merchant_id: merchantIdx === null ? null : merchantIdx + 1,
		merchant_name: merchant?.name ?? null,
		merchant_category: merchant?.category ?? 'p2p',
		amount: merchant ? zarAmount(f, 10, 3_000) : zarAmount(f, 20, 5_000),
		currency: 'ZAR',
		country: merchant ? 'ZA' : f.helpers.weightedArrayElement(COUNTRIES),
		reference: f.helpers.arrayElement(REFERENCES),
		...stampedAt(createdAt),
	};
}

/**
 * sdpkt_db (SdpktAPI, design doc §5): every table changes after insert (balances, payments pending → settled, holds
 * released, settlements paid), so all four are extracted upsert on updated_at.
 */
export const sdpktDb = syntheticSource('sdpkt_db', TABLES, {
	rows(f, rows, users) {
		const wallets = Array.from({ length: users }, (_, i) => {
			const created = pastTime(f, 400, 30);
			return {
				id: i + 1,
				user_id: i + 1,
				currency: 'ZAR',
				balance: zarAmount(f, 0, 20_000),
				status: f.helpers.weightedArrayElement(weighted({ active: 97, frozen: 3 })),
				created_at: created.toISOString(),
				updated_at: laterTime(f, created, 30).toISOString(),
			};
		});
		const payments = Array.from({ length: Math.max(100, Math.round(rows / 2)) }, (_, i) => {
			const created = pastTime(f, 90, 30);
			const status = f.helpers.weightedArrayElement(weighted({ settled: 94, failed: 4, pending: 2 }));
			const updated = status === 'pending' ? created : new Date(Math.min(created.getTime() + f.number.int({ min: 5, max: 600 }) * 1000, Date.now() - 60_000));
			return { id: i + 1, ...payment(f, users, created), status, created_at: created.toISOString(), updated_at: updated.toISOString() };
		});
		const holds = Array.from({ length: Math.max(10, Math.round(rows / 50)) }, (_, i) => {
			const created = pastTime(f, 30, 30);
			const released = f.datatype.boolean(0.7) ? laterTime(f, created, 30) : null;
			const user = f.number.int({ min: 1, max: users });
			return {
				id: i + 1,
				wallet_id: user,
				user_id: user,
				amount: zarAmount(f, 20, 4_000),
				reason: f.helpers.arrayElement(['fraud_review', 'chargeback', 'limit_check']),
				released_at: released?.toISOString() ?? null,
				created_at: created.toISOString(),
				updated_at: (released ?? created).toISOString(),
			};
		});
		const settlements = MERCHANTS.flatMap((m, i) =>
			Array.from({ length: 4 }, (_, w) => {
				const created = new Date(Date.now() - (w + 1) * 7 * 86_400_000);
				const amount = Number(zarAmount(f, 1_000, 250_000));
				return {
					merchant_id: i + 1,
					merchant_name: m.name,
					amount: amount.toFixed(2),
					fee: (amount * 0.015).toFixed(2),
					bank_account: `40${f.string.numeric(9)}`,
					status: 'paid',
					settled_at: new Date(created.getTime() + 86_400_000).toISOString(),
					created_at: created.toISOString(),
					updated_at: new Date(created.getTime() + 86_400_000).toISOString(),
				};
			}),
		).map((s, i) => ({ id: i + 1, ...s }));
		return { wallets, payments, holds, merchant_settlements: settlements };
	},
	async change(db, f, rows, users) {
		const n = Math.max(10, Math.round(rows / 20));
		await insertNewRows(db, 'payments', n, () => payment(f, users, null));
		const settled = await db.query(
			`UPDATE payments SET status = 'settled', updated_at = now() WHERE status = 'pending' AND created_at < now() - interval '1 second'`,
		);
		const balances = await db.query(`UPDATE wallets SET balance = balance + 100, updated_at = now() WHERE id IN (SELECT id FROM wallets ORDER BY id LIMIT 10)`);
		return [
			`sdpkt_db.payments: ${n} new payments (pending), ${settled.rowCount} earlier ones settled`,
			`sdpkt_db.wallets: ${balances.rowCount} balances topped up`,
		];
	},
});
