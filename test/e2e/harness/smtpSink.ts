import net from 'node:net';

export interface SmtpMessage {
	from: string;
	to: string[];
	data: string;
}

export interface SmtpSink {
	port: number;
	messages: SmtpMessage[];
	close(): Promise<void>;
}

/**
 * A loopback SMTP server that accepts every message and keeps it (no TLS, no AUTH): the e-mail end of the alert
 * routes, so a test can read what n8n's Send Email node delivered without any mail leaving the machine.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
	const messages: SmtpMessage[] = [];
	const server = net.createServer((socket) => {
		let buffer = '';
		let inData = false;
		let current: SmtpMessage = { from: '', to: [], data: '' };
		const reply = (line: string) => socket.write(`${line}\r\n`);
		reply('220 localhost ESMTP test sink');
		socket.on('data', (chunk: Buffer) => {
			buffer += chunk.toString('utf8');
			for (;;) {
				if (inData) {
					const end = buffer.indexOf('\r\n.\r\n');
					if (end < 0) return;
					current.data = buffer.slice(0, end).replace(/\r\n\.\./g, '\r\n.');
					buffer = buffer.slice(end + 5);
					messages.push(current);
					current = { from: '', to: [], data: '' };
					inData = false;
					reply('250 queued');
					continue;
				}
				const nl = buffer.indexOf('\r\n');
				if (nl < 0) return;
				const line = buffer.slice(0, nl);
				buffer = buffer.slice(nl + 2);
				const verb = line.slice(0, 4).toUpperCase();
				if (verb === 'EHLO') reply('250-localhost\r\n250 8BITMIME');
				else if (verb === 'HELO') reply('250 localhost');
				else if (verb === 'MAIL') (current.from = line.replace(/^MAIL FROM:\s*/i, '')), reply('250 ok');
				else if (verb === 'RCPT') current.to.push(line.replace(/^RCPT TO:\s*/i, '')), reply('250 ok');
				else if (verb === 'DATA') (inData = true), reply('354 end with <CRLF>.<CRLF>');
				else if (verb === 'QUIT') reply('221 bye'), socket.end();
				else reply('250 ok');
			}
		});
		socket.on('error', () => undefined);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const port = (server.address() as net.AddressInfo).port;
	return { port, messages, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The message's text body, with quoted-printable transfer encoding (what nodemailer picks for long lines) decoded. */
export function messageText(m: SmtpMessage): string {
	const split = m.data.indexOf('\r\n\r\n');
	const headers = m.data.slice(0, split);
	const body = m.data.slice(split + 4);
	if (!/^Content-Transfer-Encoding: quoted-printable$/im.test(headers)) return body;
	const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
	return Buffer.from(bytes, 'latin1').toString('utf8');
}
