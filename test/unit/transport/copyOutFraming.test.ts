import { PassThrough } from 'node:stream';
import { CopyOutStream } from '../../../src/transport/copyOutStream';

/**
 * The reader strips the protocol framing in place from whatever the socket hands it: every message boundary, a header
 * split across two reads, and messages other than CopyData between rows must give exactly the rows' bytes, and what
 * follows CopyDone goes back to pg's own parser untouched. Driven by a stand-in socket fed in pieces of every size.
 */
const message = (type: string, payload: Buffer): Buffer => {
	const header = Buffer.alloc(5);
	header.write(type, 0, 'latin1');
	header.writeUInt32BE(payload.length + 4, 1);
	return Buffer.concat([header, payload]);
};
const ROWS = ['1,"Thabo, ""TJ"" Mokoena",082 765 4321\n', '2,,\n', '3,"Eish, load-shedding\nagain",✓\n', '4,x,y\n'].map((r) => Buffer.from(r));
const AFTER = Buffer.concat([message('C', Buffer.from('COPY 4\0')), message('Z', Buffer.from('I'))]);
const WIRE = Buffer.concat([
	message('H', Buffer.from([0, 0, 3, 0, 0, 0, 0, 0, 0])),
	message('d', ROWS[0]),
	message('N', Buffer.from('SNOTICE\0Mrow 1\0\0')),
	message('d', ROWS[1]),
	message('S', Buffer.from('TimeZone\0UTC\0')),
	message('d', ROWS[2]),
	message('d', ROWS[3]),
	message('c', Buffer.alloc(0)),
	AFTER,
]);

async function readInPieces(size: number): Promise<{ csv: Buffer; handedBack: Buffer }> {
	const socket = new PassThrough();
	const handedBack: Buffer[] = [];
	socket.on('data', (b: Buffer) => handedBack.push(Buffer.from(b)));
	const stream = new CopyOutStream('COPY t TO STDOUT');
	// The handler the reader hands the socket back to is pg's; here it is the one registered above.
	stream.submit({ stream: socket, query: () => undefined });
	const out: Buffer[] = [];
	stream.on('data', (b: Buffer) => out.push(Buffer.from(b)));
	const ended = new Promise((resolve) => stream.on('end', resolve));
	// Copies, so the in-place rewrite of one read cannot reach the bytes of the next.
	for (let i = 0; i < WIRE.length; i += size) socket.write(Buffer.from(WIRE.subarray(i, i + size)));
	await new Promise((resolve) => setImmediate(resolve));
	stream.handleCommandComplete({ text: 'COPY 4' });
	await ended;
	return { csv: Buffer.concat(out), handedBack: Buffer.concat(handedBack) };
}

test('the socket read in pieces of every size from 1 byte to the whole gives exactly the rows', async () => {
	const wrong: number[] = [];
	for (let size = 1; size <= WIRE.length; size++) {
		const { csv, handedBack } = await readInPieces(size);
		if (!csv.equals(Buffer.concat(ROWS)) || !handedBack.equals(AFTER)) wrong.push(size);
	}
	expect(wrong).toEqual([]);
});
