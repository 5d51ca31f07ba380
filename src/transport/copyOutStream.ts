import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type pg from 'pg';

/** Backend message types this reader acts on (PostgreSQL protocol, "COPY Operations"). */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'
const ERROR_RESPONSE = 0x45; // 'E'
const HEADER_BYTES = 5; // type (1) + length (4, includes itself)

/** The parts of pg's Connection this reader borrows while the COPY runs (the same ones pg-copy-streams uses). */
interface PgConnection {
	stream: Socket;
	query(text: string): void;
}

/**
 * `COPY … TO STDOUT` as a Readable of the raw CSV bytes, for a pg Client (`client.query(new CopyOutStream(sql))`).
 *
 * Why not pg-copy-streams' `to()`: PostgreSQL sends one CopyData message per row, and it keeps a Buffer slice per
 * message before joining them, a million short-lived objects per million rows. At extract speed that churn made V8
 * grow its young generation to its maximum (tens of MB of RSS: docs/BENCHMARKS.md). This reader strips the framing
 * from each socket read in place, so it allocates nothing per row and nothing per read.
 *
 * Like pg-copy-streams it takes the socket from pg for the COPY and hands back whatever follows CopyDone (or an
 * ErrorResponse) to pg's own parser, so errors, CommandComplete and ReadyForQuery reach the client as usual. The
 * stream ends only once CommandComplete has given the row count. Destroyed before the COPY finished (the upload
 * failed), it closes the connection: the server would otherwise keep the COPY going into a socket no one reads,
 * and the client would never become usable again. Callers release such a client as broken.
 */
export class CopyOutStream extends Readable implements pg.Submittable {
	/** Rows the server reports in CommandComplete (`COPY n`); set before the stream ends. */
	rowCount = 0;
	private connection: PgConnection | null = null;
	private pgDataHandler: ((chunk: Buffer) => void) | null = null;
	private readonly header = Buffer.alloc(HEADER_BYTES);
	private headerFilled = 0;
	private messageType = 0;
	/** Payload bytes of the current message still to come; -1 while its header is incomplete. */
	private remaining = -1;
	private wanted = false;
	private pumping = false;
	/** CopyDone or an ErrorResponse reached: the socket is pg's again. */
	private handedBack = false;
	private completed = false;

	constructor(private readonly text: string) {
		super({ highWaterMark: 64 * 1024 });
	}

	submit(connection: unknown): void {
		this.connection = connection as PgConnection;
		const socket = this.connection.stream;
		const handlers = socket.listeners('data') as Array<(chunk: Buffer) => void>;
		if (handlers.length !== 1) throw new Error(`COPY reader expected pg's one socket data listener, found ${handlers.length}`);
		this.pgDataHandler = handlers[0];
		socket.removeListener('data', this.pgDataHandler);
		socket.pause();
		socket.on('readable', this.onReadable);
		this.connection.query(this.text);
	}

	override _read(): void {
		this.wanted = true;
		this.pump();
	}

	private readonly onReadable = (): void => this.pump();

	private pump(): void {
		if (this.pumping || !this.connection || this.handedBack) return;
		this.pumping = true;
		try {
			let chunk: Buffer | null;
			while (this.wanted && !this.handedBack && (chunk = this.connection.stream.read() as Buffer | null) !== null) this.parse(chunk);
		} finally {
			this.pumping = false;
		}
	}

	/**
	 * Strips the message framing in place: each read is this reader's own Buffer (pg no longer sees it), so the CopyData
	 * payloads are moved down over the headers with `copyWithin` and the read itself is pushed. Per row that is one
	 * native move and no allocation; copying each payload into a fresh Buffer per read cost a view object per row and
	 * twice the garbage, most of this process's CPU at extract speed (docs/BENCHMARKS.md).
	 */
	private parse(chunk: Buffer): void {
		let outLength = 0;
		let i = 0;
		while (i < chunk.length) {
			if (this.remaining < 0) {
				if (this.headerFilled === 0 && chunk[i] === ERROR_RESPONSE) {
					this.flush(chunk, outLength);
					this.handBack(chunk.subarray(i));
					return;
				}
				if (this.headerFilled === 0 && chunk.length - i >= HEADER_BYTES) {
					this.messageType = chunk[i];
					this.remaining = chunk.readUInt32BE(i + 1) - 4;
					i += HEADER_BYTES;
				} else {
					// A header split across two reads.
					const n = Math.min(HEADER_BYTES - this.headerFilled, chunk.length - i);
					chunk.copy(this.header, this.headerFilled, i, i + n);
					this.headerFilled += n;
					i += n;
					if (this.headerFilled < HEADER_BYTES) break;
					this.messageType = this.header[0];
					this.remaining = this.header.readUInt32BE(1) - 4;
					this.headerFilled = 0;
				}
			}
			const n = Math.min(this.remaining, chunk.length - i);
			if (this.messageType === COPY_DATA) {
				if (outLength !== i) chunk.copyWithin(outLength, i, i + n);
				outLength += n;
			}
			i += n;
			this.remaining -= n;
			if (this.remaining === 0) {
				this.remaining = -1;
				if (this.messageType === COPY_DONE) {
					this.flush(chunk, outLength);
					this.handBack(chunk.subarray(i));
					return;
				}
				// CopyOutResponse, and ParameterStatus / Notice / Notification the server may interleave: skipped.
			}
		}
		this.flush(chunk, outLength);
	}

	private flush(out: Buffer, length: number): void {
		if (length > 0) this.wanted = this.push(out.subarray(0, length));
	}

	/** Gives the socket back to pg, with the bytes that follow (CommandComplete, ReadyForQuery, or the error). */
	private handBack(rest: Buffer): void {
		this.handedBack = true;
		const socket = this.connection!.stream;
		socket.removeListener('readable', this.onReadable);
		socket.on('data', this.pgDataHandler!);
		if (rest.length > 0) this.pgDataHandler!(rest);
		// The paused socket does not flow again by adding a listener; resume once pg's handler has run.
		process.nextTick(() => socket.resume());
	}

	handleCommandComplete(msg: { text?: string }): void {
		const match = /^COPY (\d+)/.exec(msg.text ?? '');
		if (match) this.rowCount = Number(match[1]);
		this.completed = true;
		this.push(null);
	}

	handleReadyForQuery(): void {
		// Nothing to do: the stream ended with CommandComplete (or was destroyed by the error).
	}

	handleError(err: Error): void {
		this.destroy(err);
	}

	override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
		if (!this.completed && this.connection && !this.handedBack) this.connection.stream.destroy();
		callback(err);
	}
}
