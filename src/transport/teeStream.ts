import { Writable } from 'node:stream';

export interface TeeSink {
	stream: Writable;
	/**
	 * Called when this sink fails. Return true to carry on without it (the other sinks keep their data flowing);
	 * false (the default) fails the whole tee, which destroys every sink.
	 */
	detachOnError?: (err: Error) => boolean;
}

interface LiveSink extends TeeSink {
	/** Resolvers of writes waiting for this sink's 'drain' (or its detachment). */
	waiters: Set<() => void>;
	finished: boolean;
	error: Error | null;
}

/**
 * One writable that hands every chunk to several sinks, with back-pressure from the slowest: a chunk is acknowledged
 * only once every sink took it or drained, so memory stays at the sinks' own buffers whatever the stream's length.
 * Ends (and `finish`es) only after every attached sink finished. The same Buffer goes to each sink, so they see the
 * same bytes in the same order.
 */
export class Tee extends Writable {
	private readonly live: LiveSink[];

	constructor(sinks: TeeSink[]) {
		super({ highWaterMark: 64 * 1024 });
		this.live = sinks.map((s) => ({ ...s, waiters: new Set(), finished: false, error: null }));
		for (const s of this.live) {
			s.stream.on('error', (err: Error) => this.sinkFailed(s, err));
			s.stream.once('finish', () => {
				s.finished = true;
				this.wake(s);
			});
		}
	}

	/** The error each detached sink failed with (null for sinks still attached), in the order they were given. */
	get sinkErrors(): Array<Error | null> {
		return this.live.map((s) => s.error);
	}

	private attached(): LiveSink[] {
		return this.live.filter((s) => !s.error);
	}

	private wake(s: LiveSink): void {
		const waiters = [...s.waiters];
		s.waiters.clear();
		for (const w of waiters) w();
	}

	private sinkFailed(s: LiveSink, err: Error): void {
		if (s.error) return;
		s.error = err;
		this.wake(s);
		if (!(s.detachOnError?.(err) ?? false)) this.destroy(err);
	}

	private until(s: LiveSink, event: 'drain' | 'finish'): Promise<void> {
		return new Promise((resolve) => {
			if (s.error || (event === 'finish' && s.finished)) return resolve();
			const done = () => {
				s.stream.off(event, done);
				s.waiters.delete(done);
				resolve();
			};
			s.stream.on(event, done);
			s.waiters.add(done);
		});
	}

	override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
		const waits: Promise<void>[] = [];
		for (const s of this.attached()) if (!s.stream.write(chunk)) waits.push(this.until(s, 'drain'));
		if (waits.length === 0) return callback();
		Promise.all(waits).then(() => callback(), callback);
	}

	override _final(callback: (error?: Error | null) => void): void {
		const sinks = this.attached();
		for (const s of sinks) s.stream.end();
		Promise.all(sinks.map((s) => this.until(s, 'finish'))).then(() => callback(), callback);
	}

	override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
		for (const s of this.attached()) if (!s.finished) s.stream.destroy(err ?? undefined);
		callback(err);
	}
}
