/**
 * `scheme://user:secret@host` → `scheme://***@host`, wherever such a URL sits in a text. Endpoints come from
 * credentials, and SDKs, drivers and our own messages echo them; the password in a URL must not ride along into an
 * error, a run log or a node's output.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

export function redactUserinfo(text: string): string {
	return text.replace(USERINFO, '$1***@');
}

/** A URL for a message: userinfo dropped, query string too (keys travel as `?access_key=`). Unparsable input is redacted as text. */
export function displayUrl(url: string | URL): string {
	try {
		const u = new URL(String(url));
		u.username = '';
		u.password = '';
		u.search = '';
		return u.toString();
	} catch {
		return redactUserinfo(String(url));
	}
}
