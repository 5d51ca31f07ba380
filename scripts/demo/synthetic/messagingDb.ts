import type { Faker } from '@faker-js/faker';
import { insertRows } from './insertRows';
import { pastTime, weighted } from './people';
import { syntheticSource } from './source';
import type { SourceTables } from './tables';

const TABLES = {
	conversations: {
		columns: `
			kind text NOT NULL CHECK (kind IN ('direct', 'group')),
			created_by bigint NOT NULL,
			-- Content (design §6.5): the registry excludes these at extract, they never leave the source.
			subject text,
			last_message_preview text,
		`,
		watermark: 'updated_at',
		after: `last_message_at timestamptz`,
	},
	participants: {
		columns: `
			conversation_id bigint NOT NULL REFERENCES conversations,
			user_id bigint NOT NULL,
			role text NOT NULL DEFAULT 'member',
			joined_at timestamptz NOT NULL,
			left_at timestamptz,
		`,
		watermark: 'updated_at',
		id: 'none',
		stamps: ['updated_at'],
		after: `PRIMARY KEY (conversation_id, user_id)`,
	},
	messages: {
		columns: `
			conversation_id bigint NOT NULL REFERENCES conversations,
			sender_id bigint NOT NULL,
			body text NOT NULL,
			media_url text,
			has_media boolean NOT NULL DEFAULT false,
			detected_language text,
			sent_at timestamptz NOT NULL DEFAULT now(),
		`,
		watermark: 'created_at',
	},
} satisfies SourceTables;

const LANGUAGES = weighted({ en: 50, zu: 18, af: 12, xh: 10, st: 10 });
const BODIES = ['Howzit!', 'Sharp sharp', 'See you at the braai?', 'Eish, load-shedding again', 'Send me the location pls', 'Lekker, thanks!', 'On my way'];

function message(f: Faker, conversation: number, sender: number, at: Date | null): Record<string, unknown> {
	const media = f.datatype.boolean(0.1);
	return {
		conversation_id: conversation,
		sender_id: sender,
		body: f.helpers.arrayElement(BODIES),
		media_url: media ? `https://media.txtme.example/${f.string.alphanumeric(12)}.jpg` : null,
		has_media: media,
		detected_language: f.helpers.weightedArrayElement(LANGUAGES),
		...(at ? { sent_at: at.toISOString(), created_at: at.toISOString() } : {}),
	};
}

/**
 * messaging_db (TxTMe!, design §5, §6.5): conversations and participants change after insert (upsert on
 * updated_at), messages are append-only on created_at. Bodies and previews exist here but are excluded at extract.
 */
export const messagingDb = syntheticSource('messaging_db', TABLES, {
	rows(f, rows, users) {
		const conversations: Record<string, unknown>[] = [];
		const participants: Record<string, unknown>[] = [];
		const messages: Record<string, unknown>[] = [];
		const nConv = Math.max(30, Math.round(rows / 20));
		for (let c = 1; c <= nConv; c++) {
			const group = f.datatype.boolean(0.2);
			const members = f.helpers.arrayElements(
				Array.from({ length: users }, (_, i) => i + 1),
				group ? f.number.int({ min: 3, max: 6 }) : 2,
			);
			const created = pastTime(f, 60, 120);
			let t = created.getTime();
			let last = created;
			for (let m = 0; m < f.number.int({ min: 2, max: 30 }) && t < Date.now() - 60 * 60_000; m++) {
				t += f.number.int({ min: 1, max: 240 }) * 60_000;
				last = new Date(Math.min(t, Date.now() - 60 * 60_000));
				messages.push({ id: messages.length + 1, ...message(f, c, f.helpers.arrayElement(members), last) });
			}
			conversations.push({
				id: c,
				kind: group ? 'group' : 'direct',
				created_by: members[0],
				subject: group ? `${f.word.noun()} crew` : null,
				last_message_preview: null,
				created_at: created.toISOString(),
				updated_at: last.toISOString(),
				last_message_at: last.toISOString(),
			});
			for (const [i, u] of members.entries())
				participants.push({
					conversation_id: c,
					user_id: u,
					role: i === 0 ? 'owner' : 'member',
					joined_at: created.toISOString(),
					updated_at: created.toISOString(),
				});
		}
		return { conversations, participants, messages };
	},
	async change(db, f) {
		const { rows: convs } = await db.query<{ id: string; members: string[] }>(
			`SELECT conversation_id::text AS id, array_agg(user_id::text) AS members FROM participants GROUP BY 1 ORDER BY 1 LIMIT 10`,
		);
		const fresh = convs.flatMap((c) => [
			message(f, Number(c.id), Number(c.members[0]), null),
			message(f, Number(c.id), Number(c.members[c.members.length - 1]), null),
		]);
		await insertRows(db, 'messages', fresh);
		const touched = await db.query(
			`UPDATE conversations SET last_message_at = now(), updated_at = now() WHERE id IN (SELECT conversation_id FROM participants GROUP BY 1 ORDER BY 1 LIMIT 10)`,
		);
		return [`messaging_db.messages: ${fresh.length} new messages`, `messaging_db.conversations: ${touched.rowCount} conversations active again`];
	},
});
