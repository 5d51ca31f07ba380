import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** Pass-through that counts bytes and hashes them, so the CSV is fingerprinted without a second read. */
export class CsvDigest extends Transform {
	bytes = 0;
	private readonly hash = createHash('sha256');
	private hexDigest: string | null = null;

	override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
		this.bytes += chunk.length;
		this.hash.update(chunk);
		done(null, chunk);
	}

	/** The sha256 of everything that passed; call once the stream ended (later calls give the same value). */
	hex(): string {
		this.hexDigest ??= this.hash.digest('hex');
		return this.hexDigest;
	}
}
