/**
 * `scheme://user:secret@host` → `scheme://***@host`, wherever such a URL sits in a text. Endpoints come from
 * credentials, and SDKs, drivers and our own messages echo them; the password in a URL must not ride along into an
 * error, a run log or a node's output.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

export function redactUserinfo(text: string): string {
	return text.replace(USERINFO, '$1***@');
}

/** Query parameters that carry credentials in the APIs we call (`?access_key=`, `?api_key=`, `?token=`, signatures). */
const SECRET_PARAM = /([?&][^=&#\s]*(?:key|token|secret|password|passwd|signature|credential|auth)[^=&#\s]*=)[^&#\s]*/gi;

/**
 * A URL for a message: userinfo replaced by `***`, credential-like query values masked, and otherwise exactly as
 * configured, so the message still says where.
 */
export function displayUrl(url: string | URL): string {
	return redactUserinfo(String(url)).replace(SECRET_PARAM, '$1***');
}
