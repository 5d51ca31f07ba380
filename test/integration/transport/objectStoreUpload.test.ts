import { GetObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { postgresConnectionSchema } from '../../../src/config/connection.schema';
import { exportCsv } from '../../../src/extract/csvExport';
import { ObjectStore } from '../../../src/transport/objectStore';
import { freshBucket, freshDatabase, testEnv } from '../../harness/testEnv';

const MiB = 1024 * 1024;

/** Deterministic bytes in chunks of an awkward size, so part boundaries fall inside chunks. */
async function* bytes(total: number, chunkSize = 100_003, onRead?: (n: number) => void): AsyncGenerator<Buffer> {
	let sent = 0;
	let i = 0;
	while (sent < total) {
		const n = Math.min(chunkSize, total - sent);
		const chunk = Buffer.alloc(n, `chunk-${i++}|`);
		sent += n;
		onRead?.(sent);
		yield chunk;
	}
}

async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<{ sha: string; bytes: number }> {
	const h = createHash('sha256');
	let n = 0;
	for await (const c of body) {
		h.update(c);
		n += c.length;
	}
	return { sha: h.digest('hex'), bytes: n };
}

let store: ObjectStore;

beforeAll(async () => {
	store = new ObjectStore(await freshBucket('upload'));
});
afterAll(() => store.client.destroy());

async function objectSha(key: string): Promise<{ sha: string; bytes: number }> {
	return sha256Of(await store.download(key));
}

/** Multipart upload ids the store's client has been given, by key (s3rver has no ListMultipartUploads to ask). */
const uploadIds = new Map<string, string>();
/** Upload ids an AbortMultipartUpload was sent for, whatever the server answered. */
const abortedIds = new Set<string>();
beforeAll(() => {
	store.client.middlewareStack.add(
		(next, context) => async (args) => {
			if (context.commandName === 'AbortMultipartUploadCommand') abortedIds.add((args.input as { UploadId: string }).UploadId);
			const out = await next(args);
			if (context.commandName === 'CreateMultipartUploadCommand') {
				const o = out.output as { Key?: string; UploadId?: string };
				if (o.Key && o.UploadId) uploadIds.set(o.Key, o.UploadId);
			}
			return out;
		},
		{ step: 'initialize', name: 'testRecordsUploadIds' },
	);
});

/**
 * The upload was aborted, and the server agrees: adding a part to it is refused with NoSuchUpload. s3rver refuses
 * AbortMultipartUpload (MethodNotAllowed) and keeps no upload state (it takes parts for any upload id), so there only
 * the abort request can be checked.
 */
async function expectAborted(key: string): Promise<void> {
	const uploadId = uploadIds.get(key);
	expect(uploadId).toBeDefined();
	expect(abortedIds.has(uploadId!)).toBe(true);
	if (testEnv().s3.kind === 's3rver') return;
	const err = await store.client
		.send(new UploadPartCommand({ Bucket: store.cfg.bucket, Key: key, UploadId: uploadId, PartNumber: 2, Body: Buffer.from('late part') }))
		.then(
			() => null,
			(e: Error) => e,
		);
	expect(err?.name).toBe('NoSuchUpload');
}

test('a 12.5 MiB body goes up as three parts from reused buffers and arrives byte for byte', async () => {
	const total = Math.round(12.5 * MiB);
	const key = 'dataacuity/exports/t/multi.csv';
	const result = await store.upload(key, bytes(total));
	expect(result).toEqual({ bytes: total, parts: 3 });
	expect(await objectSha(key)).toEqual(await sha256Of(bytes(total)));
});

test('with request checksums on (When Supported) the multipart upload with CRC32 parts completes, byte for byte', async () => {
	const checked = new ObjectStore({ ...store.cfg, checksumMode: 'when_supported' });
	try {
		const total = Math.round(11.2 * MiB);
		const key = 'dataacuity/exports/t/crc.csv';
		expect(await checked.upload(key, bytes(total))).toEqual({ bytes: total, parts: 3 });
		expect(await objectSha(key)).toEqual(await sha256Of(bytes(total)));
	} finally {
		checked.client.destroy();
	}
});

test('a body of exactly one part, a small body and an empty body each go up as one PutObject', async () => {
	for (const [name, total] of [
		['exact', 5 * MiB],
		['small', 1234],
		['empty', 0],
	] as const) {
		const key = `dataacuity/exports/t/${name}.csv`;
		const result = await store.upload(key, bytes(total));
		expect(result).toEqual({ bytes: total, parts: 0 });
		expect(await objectSha(key)).toEqual(await sha256Of(bytes(total)));
	}
});

test('a body that fails half-way leaves no object and no open multipart upload behind', async () => {
	const key = 'dataacuity/exports/t/broken.csv';
	async function* failing(): AsyncGenerator<Buffer> {
		yield* bytes(7 * MiB);
		throw new Error('source connection lost');
	}
	await expect(store.upload(key, failing())).rejects.toThrow('source connection lost');
	expect(await store.size(key)).toBeNull();
	await expectAborted(key);
});

test('when S3 refuses the upload, the body stops being read (a bucket that does not exist)', async () => {
	const missing = new ObjectStore({ ...store.cfg, bucket: `${store.cfg.bucket}-missing` });
	let read = 0;
	const endless = bytes(Number.MAX_SAFE_INTEGER, 64 * 1024, (n) => (read = n));
	await expect(missing.upload('dataacuity/exports/t/x.csv', endless)).rejects.toThrow(/bucket/i);
	// One part filled before the first request; nothing like the endless body was read.
	expect(read).toBeGreaterThanOrEqual(5 * MiB);
	expect(read).toBeLessThan(6 * MiB);
	missing.client.destroy();
});

describe('COPY TO straight into the upload', () => {
	let pool: pg.Pool;
	beforeAll(async () => {
		const c = postgresConnectionSchema.parse(await freshDatabase('csv_export'));
		pool = new pg.Pool({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database, max: 1 });
	});
	afterAll(() => pool.end());

	test('a multi-part CSV keeps its row count, size and sha256 exactly', async () => {
		const key = 'dataacuity/exports/t/copy.csv';
		const client = await pool.connect();
		try {
			const r = await exportCsv(client, `SELECT g AS id, md5(g::text) || ',"' || repeat('ä', g % 7) AS txt FROM generate_series(1, 150000) g`, store, key);
			expect(r.rows).toBe(150_000);
			expect(r.bytes).toBeGreaterThan(5 * MiB);
			const got = await store.client.send(new GetObjectCommand({ Bucket: store.cfg.bucket, Key: key }));
			expect(got.ContentLength).toBe(r.bytes);
			expect(await objectSha(key)).toEqual({ sha: r.sha256, bytes: r.bytes });
		} finally {
			client.release();
		}
	});

	test('a COPY that fails mid-stream aborts the upload, leaves no object, and the connection stays usable', async () => {
		const key = 'dataacuity/exports/t/copy-fails.csv';
		const client = await pool.connect();
		try {
			const failing = `SELECT g, repeat('x', 200) AS pad, CASE WHEN g = 60000 THEN 1 / (g - g) ELSE g END AS boom FROM generate_series(1, 100000) g`;
			await expect(exportCsv(client, failing, store, key)).rejects.toThrow(/division by zero/);
			expect(await store.size(key)).toBeNull();
			await expectAborted(key);
			expect((await client.query<{ ok: number }>('SELECT 1 AS ok')).rows[0].ok).toBe(1);
		} finally {
			client.release();
		}
	});
});
