import type { IExecuteFunctions } from 'n8n-workflow';
import type { FetchLike } from '../../src/transport/fetchLike';

/**
 * The core's HTTP calls made through n8n's request helper, so the proxy (HTTP_PROXY / HTTPS_PROXY / NO_PROXY) and
 * TLS settings of the n8n instance apply. Statuses are the caller's to judge, as with fetch, and the body is read as
 * text so the caller decides how to parse it.
 */
export function n8nFetch(fns: IExecuteFunctions): FetchLike {
	return async (url, init = {}) => {
		const res = (await fns.helpers.httpRequest({
			url,
			method: init.method ?? 'GET',
			headers: init.headers,
			body: init.body,
			abortSignal: init.signal,
			encoding: 'text',
			json: false,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as { statusCode: number; body: unknown };
		const text =
			typeof res.body === 'string' ? res.body : Buffer.isBuffer(res.body) ? res.body.toString('utf8') : res.body == null ? '' : JSON.stringify(res.body);
		return {
			ok: res.statusCode >= 200 && res.statusCode < 300,
			status: res.statusCode,
			text: async () => text,
			json: async () => JSON.parse(text) as unknown,
		};
	};
}
