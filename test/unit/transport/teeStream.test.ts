import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Tee } from '../../../src/transport/teeStream';

/** A sink that takes `delayMs` per chunk and records what it got. */
function slowSink(delayMs: number, highWaterMark = 1) {
	const got: Buffer[] = [];
	const stream = new Writable({
		highWaterMark,
		write(chunk: Buffer, _enc, done) {
			got.push(chunk);
			setTimeout(done, delayMs);
		},
	});
	return { stream, got };
}

const chunks = (n: number, size = 1024) => Array.from({ length: n }, (_, i) => Buffer.alloc(size, i % 256));

test('every sink gets the same bytes in the same order, and the tee finishes only after every sink did', async () => {
	const a = slowSink(0);
	const b = slowSink(2);
	let bFinished = false;
	b.stream.on('finish', () => (bFinished = true));
	await pipeline(Readable.from(chunks(50)), new Tee([{ stream: a.stream }, { stream: b.stream }]));
	expect(bFinished).toBe(true);
	expect(Buffer.concat(a.got)).toEqual(Buffer.concat(chunks(50)));
	expect(Buffer.concat(b.got)).toEqual(Buffer.concat(chunks(50)));
});

test('the slowest sink paces the source: no more than the buffers in between are read ahead of it', async () => {
	let produced = 0;
	const source = new Readable({
		highWaterMark: 1,
		read() {
			produced += 1;
			this.push(produced <= 200 ? Buffer.alloc(1024) : null);
		},
	});
	const fast = slowSink(0);
	const slow = slowSink(5);
	let maxAhead = 0;
	const watch = setInterval(() => (maxAhead = Math.max(maxAhead, produced - slow.got.length)), 1);
	await pipeline(source, new Tee([{ stream: fast.stream }, { stream: slow.stream }]));
	clearInterval(watch);
	expect(slow.got).toHaveLength(200);
	// Tee (64 KiB), the source's and the sink's buffers: a few dozen 1 KiB chunks at most, never the whole stream.
	expect(maxAhead).toBeLessThan(100);
});

test('a sink allowed to detach on error drops out and the others still get everything', async () => {
	const keeps = slowSink(0);
	const failing = new Writable({
		write(_chunk, _enc, done) {
			done(new Error('duplicate key'));
		},
	});
	const seen: string[] = [];
	const tee = new Tee([
		{ stream: keeps.stream },
		{
			stream: failing,
			detachOnError: (err) => {
				seen.push(err.message);
				return true;
			},
		},
	]);
	await pipeline(Readable.from(chunks(20)), tee);
	expect(seen).toEqual(['duplicate key']);
	expect(tee.sinkErrors.map((e) => e?.message ?? null)).toEqual([null, 'duplicate key']);
	expect(Buffer.concat(keeps.got)).toEqual(Buffer.concat(chunks(20)));
});

test('any other sink error fails the tee and tears down the other sinks, even one that stopped reading', async () => {
	const stuck = new PassThrough({ highWaterMark: 1024 }); // nobody reads it: writes would wait for ever
	const failing = new Writable({
		write(_chunk, _enc, done) {
			setTimeout(() => done(new Error('upload refused')), 5);
		},
	});
	await expect(pipeline(Readable.from(chunks(100)), new Tee([{ stream: stuck }, { stream: failing }]))).rejects.toThrow('upload refused');
	expect(stuck.destroyed).toBe(true);
});
