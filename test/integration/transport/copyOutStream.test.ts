import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { CopyOutStream } from '../../../src/transport/copyOutStream';
import { freshDatabase } from '../../harness/testEnv';

let client: pg.Client;
let conn: pg.ClientConfig;

beforeAll(async () => {
	conn = (await freshDatabase('copy_out')) as pg.ClientConfig;
	client = new pg.Client(conn);
	await client.connect();
	// A function that raises a NOTICE per row: the server interleaves NoticeResponse messages with the CopyData.
	await client.query(
		`CREATE FUNCTION noisy(i int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN IF i % 1000 = 0 THEN RAISE NOTICE 'row %', i; END IF; RETURN i; END $$`,
	);
});
afterAll(() => client.end());

async function drain(stream: NodeJS.ReadableStream): Promise<{ sha: string; bytes: number; chunks: number }> {
	const hash = createHash('sha256');
	let bytes = 0;
	let chunks = 0;
	await pipeline(
		stream,
		new Writable({
			write(chunk: Buffer, _enc, done) {
				hash.update(chunk);
				bytes += chunk.length;
				chunks += 1;
				done();
			},
		}),
	);
	return { sha: hash.digest('hex'), bytes, chunks };
}

const TYPES_SQL = `SELECT g AS id, noisy(g) AS n, md5(g::text) || E'\\n"quoted", comma' AS txt, CASE WHEN g % 3 = 0 THEN NULL WHEN g % 3 = 1 THEN '' ELSE 'Sipho Nkosi ✓' END AS maybe,
  (g * 1.0000000001)::numeric(38,10) AS amount, '2026-01-01 00:00:00+02'::timestamptz + g * interval '1 second' AS at,
  jsonb_build_object('g', g) AS doc, decode(md5(g::text), 'hex') AS raw, ARRAY[g, g + 1] AS arr
  FROM generate_series(1, 20000) g`;

test.each([
	['20,000 rows of every awkward type, with NOTICEs interleaved', TYPES_SQL],
	['a single row', 'SELECT 1 AS one'],
	['no rows at all', 'SELECT 1 AS one WHERE false'],
])('%s: the same bytes and row count as pg-copy-streams, and the client is usable after', async (_name, select) => {
	const sql = `COPY (${select}) TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')`;
	const ours = client.query(new CopyOutStream(sql));
	const got = await drain(ours);
	const reference = client.query(copyTo(sql));
	const want = await drain(reference);
	expect(got.sha).toBe(want.sha);
	expect(got.bytes).toBe(want.bytes);
	expect(ours.rowCount).toBe(reference.rowCount);
	expect((await client.query<{ ok: number }>('SELECT 1 AS ok')).rows[0].ok).toBe(1);
});

test('one chunk per socket read, not per row: 20,000 rows arrive in far fewer chunks', async () => {
	const ours = client.query(new CopyOutStream(`COPY (${TYPES_SQL}) TO STDOUT WITH (FORMAT csv)`));
	const got = await drain(ours);
	expect(ours.rowCount).toBe(20_000);
	expect(got.chunks).toBeLessThan(ours.rowCount / 20);
});

test('a statement the server refuses rejects with its error, and the client is usable after', async () => {
	const bad = client.query(new CopyOutStream('COPY (SELECT no_such_column FROM generate_series(1, 3)) TO STDOUT'));
	await expect(drain(bad)).rejects.toThrow(/no_such_column/);
	expect((await client.query<{ ok: number }>('SELECT 1 AS ok')).rows[0].ok).toBe(1);
});

test('destroyed half-way (the upload failed), it closes the connection instead of leaving the COPY running', async () => {
	const own = new pg.Client(conn);
	own.on('error', () => undefined);
	await own.connect();
	const pid = (await own.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
	const copy = own.query(new CopyOutStream(`COPY (SELECT g, repeat('x', 500) FROM generate_series(1, 2000000) g) TO STDOUT`));
	let seen = 0;
	await expect(
		pipeline(
			copy,
			new Writable({
				write(chunk: Buffer, _enc, done) {
					seen += chunk.length;
					done(seen > 1024 * 1024 ? new Error('upload failed') : null);
				},
			}),
		),
	).rejects.toThrow('upload failed');
	// The client fails fast instead of queueing behind a COPY that never ends…
	await expect(own.query('SELECT 1')).rejects.toThrow();
	// …and the server session goes away.
	for (let i = 0; i < 50; i++) {
		const alive = await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid]);
		if (alive.rowCount === 0) break;
		await new Promise((r) => setTimeout(r, 100));
	}
	expect((await client.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount).toBe(0);
	await own.end().catch(() => undefined);
});
