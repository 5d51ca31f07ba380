import type { Faker } from '@faker-js/faker';
import { insertNewRows } from './insertRows';
import { laterTime, pastTime, stampedAt, weighted, zarAmount } from './people';
import { MERCHANTS } from './places';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	accounts: {
		columns: `
			user_id bigint NOT NULL,
			account_number text NOT NULL UNIQUE,
			account_type text NOT NULL,
			currency char(3) NOT NULL DEFAULT 'ZAR',
			balance_zar numeric(18,2) NOT NULL DEFAULT 0,
			status text NOT NULL DEFAULT 'open',
			opened_at timestamptz NOT NULL DEFAULT now(),
		`,
		watermark: 'updated_at',
	},
	transactions: {
		columns: `
			account_id bigint NOT NULL REFERENCES accounts,
			user_id bigint NOT NULL,
			direction text NOT NULL CHECK (direction IN ('debit', 'credit')),
			amount_zar numeric(18,2) NOT NULL CHECK (amount_zar > 0),
			category text NOT NULL,
			merchant_name text,
			reference text NOT NULL,
			channel text NOT NULL,
		`,
		watermark: 'created_at',
	},
	holds: {
		columns: `
			account_id bigint NOT NULL REFERENCES accounts,
			amount_zar numeric(18,2) NOT NULL,
			reason text NOT NULL,
			expires_at timestamptz NOT NULL,
			released_at timestamptz,
		`,
		watermark: 'updated_at',
	},
	reversals: {
		columns: `
			transaction_id bigint NOT NULL REFERENCES transactions,
			amount_zar numeric(18,2) NOT NULL,
			reason text NOT NULL,
		`,
		watermark: 'created_at',
	},
} satisfies SourceTables;

const CHANNELS = ['card', 'eft', 'instant_eft', 'qr', 'payshap', 'cash_send', 'debit_order'];
const CREDIT_CATEGORIES = ['salary', 'transfer_in', 'refund', 'sassa_grant', 'interest'];

function transaction(f: Faker, accounts: { id: number; user_id: number }[], createdAt: Date | null): Record<string, unknown> {
	const acct = f.helpers.arrayElement(accounts);
	const credit = f.datatype.boolean(0.18);
	const merchant = credit ? null : f.helpers.arrayElement(MERCHANTS);
	return {
		account_id: acct.id,
		user_id: acct.user_id,
		direction: credit ? 'credit' : 'debit',
		amount_zar: credit ? zarAmount(f, 200, 60_000) : zarAmount(f, 5, 8_000),
		category: credit ? f.helpers.arrayElement(CREDIT_CATEGORIES) : merchant!.category,
		merchant_name: merchant?.name ?? null,
		reference: `${credit ? 'CR' : 'DB'}${f.string.alphanumeric({ length: 10, casing: 'upper' })}`,
		channel: f.helpers.arrayElement(CHANNELS),
		...stampedAt(createdAt),
	};
}

/**
 * ledger_db (LedgerAPI): transactions and reversals are append-only on created_at; accounts and holds change
 * after insert (balances, releases) and are extracted on updated_at.
 */
export const ledgerDb = syntheticSource('ledger_db', TABLES, {
	rows(f, rows, users) {
		const nAccounts = Math.max(40, Math.round(rows / 5));
		const accounts = Array.from({ length: nAccounts }, (_, i) => {
			const opened = pastTime(f, 700, 30);
			return {
				id: i + 1,
				user_id: f.number.int({ min: 1, max: users }),
				account_number: `62${f.string.numeric(9)}${String(i + 1).padStart(4, '0')}`.slice(0, 15),
				account_type: f.helpers.weightedArrayElement(weighted({ wallet: 5, cheque: 3, savings: 2 })),
				currency: 'ZAR',
				balance_zar: zarAmount(f, 0, 120_000),
				status: f.helpers.weightedArrayElement(weighted({ open: 95, frozen: 2, closed: 3 })),
				opened_at: opened.toISOString(),
				created_at: opened.toISOString(),
				updated_at: laterTime(f, opened, 30).toISOString(),
			};
		});
		const txs: Record<string, unknown>[] = Array.from({ length: rows }, (_, i) => ({ id: i + 1, ...transaction(f, accounts, pastTime(f, 90, 30)) }));
		const holds = Array.from({ length: Math.max(10, Math.round(rows / 20)) }, (_, i) => {
			const created = pastTime(f, 30, 30);
			const released = f.datatype.boolean(0.7) ? laterTime(f, created, 30) : null;
			return {
				id: i + 1,
				account_id: f.number.int({ min: 1, max: nAccounts }),
				amount_zar: zarAmount(f, 50, 15_000),
				reason: f.helpers.arrayElement(['card_preauth', 'fuel_preauth', 'hotel_deposit', 'fraud_review', 'debit_order_pending']),
				expires_at: new Date(created.getTime() + 7 * 86_400_000).toISOString(),
				released_at: released?.toISOString() ?? null,
				created_at: created.toISOString(),
				updated_at: (released ?? created).toISOString(),
			};
		});
		const reversals = f.helpers.arrayElements(txs, Math.max(5, Math.round(rows / 100))).map((t, i) => ({
			id: i + 1,
			transaction_id: t.id,
			amount_zar: t.amount_zar,
			reason: f.helpers.arrayElement(['customer_dispute', 'duplicate_charge', 'merchant_refund', 'failed_delivery']),
			created_at: laterTime(f, new Date(t.created_at as string), 30).toISOString(),
		}));
		return { accounts, transactions: txs, holds, reversals };
	},
	async change(db, f, rows) {
		const { rows: accounts } = await db.query<{ id: number; user_id: number }>('SELECT id::int, user_id::int FROM accounts WHERE status = $1', ['open']);
		const n = Math.max(10, Math.round(rows / 10));
		// created_at defaults to now(): exactly how LedgerAPI stamps rows.
		await insertNewRows(db, 'transactions', n, () => transaction(f, accounts, null));
		const balances = await db.query(
			`UPDATE accounts a SET balance_zar = a.balance_zar + s.delta, updated_at = now()
			   FROM (SELECT account_id, sum(CASE direction WHEN 'credit' THEN amount_zar ELSE -amount_zar END) AS delta
			           FROM transactions WHERE created_at > now() - interval '1 minute' GROUP BY account_id) s
			  WHERE a.id = s.account_id`,
		);
		const released = await db.query(
			`UPDATE holds SET released_at = now(), updated_at = now() WHERE id IN (SELECT id FROM holds WHERE released_at IS NULL ORDER BY id LIMIT 5)`,
		);
		return [
			`ledger_db.transactions: ${n} new transactions`,
			`ledger_db.accounts: ${balances.rowCount} balances updated`,
			`ledger_db.holds: ${released.rowCount} holds released`,
		];
	},
});
