/**
 * The few n8n REST calls the tests make, as a user would through the editor: owner setup (which logs in), the
 * session cookie for later calls, and a public-API key. Responses are unwrapped from n8n's `{ data }` envelope.
 */
export const OWNER = { email: 'owner@dataacuity.test', firstName: 'Data', lastName: 'Engineer', password: 'E2e-only-Passw0rd' };

export class N8nRest {
	private cookie = '';
	apiKey = '';

	constructor(readonly baseUrl: string) {}

	async request<T = unknown>(
		method: string,
		route: string,
		body?: unknown,
		opts: { publicApi?: boolean; allowStatus?: number[] } = {},
	): Promise<{ status: number; data: T }> {
		const headers: Record<string, string> = { accept: 'application/json' };
		if (body !== undefined) headers['content-type'] = 'application/json';
		if (opts.publicApi) headers['x-n8n-api-key'] = this.apiKey;
		else if (this.cookie) headers.cookie = this.cookie;
		// n8n's browser-id check ties the auth cookie to this header.
		headers['browser-id'] = 'dwh-e2e-tests';
		const res = await fetch(`${this.baseUrl}${route}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
		const setCookie = res.headers.get('set-cookie');
		const auth = setCookie?.match(/n8n-auth=[^;]+/);
		if (auth) this.cookie = auth[0];
		const text = await res.text();
		let json: unknown = text;
		try {
			json = text ? JSON.parse(text) : null;
		} catch {
			/* not JSON */
		}
		if (!res.ok && !(opts.allowStatus ?? []).includes(res.status)) {
			throw new Error(`${method} ${route} -> HTTP ${res.status}: ${text.slice(0, 2000)}`);
		}
		const data = json && typeof json === 'object' && 'data' in (json as object) && !opts.publicApi ? (json as { data: T }).data : (json as T);
		return { status: res.status, data };
	}

	/** First start: creates the owner account and keeps its session. Later calls log in instead. */
	async setupOwner(): Promise<void> {
		const r = await this.request('POST', '/rest/owner/setup', OWNER, { allowStatus: [400] });
		if (r.status === 400) await this.login();
	}

	async login(): Promise<void> {
		await this.request('POST', '/rest/login', { emailOrLdapLoginId: OWNER.email, email: OWNER.email, password: OWNER.password });
	}

	get authCookie(): string {
		return this.cookie;
	}

	/**
	 * n8n 2.x publishes (activates) through an outbox its main drains in the background: `POST .../activate` answers
	 * before the triggers are live, and a webhook called in between is "not registered" (404). This waits for what the
	 * editor's Publish button shows, `GET /rest/workflows/:id/publication-status`, to say `published`; a trigger that
	 * failed to activate fails here with its error. n8n 1.x activates synchronously and has no such route.
	 */
	async waitForPublished(workflowId: string, timeoutMs = 120_000): Promise<void> {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const { data } = await this.request<{ status: string; triggers: Array<{ nodeId: string; status: string; errorMessage?: string | null }> }>(
				'GET',
				`/rest/workflows/${workflowId}/publication-status`,
			);
			if (data.status === 'published') return;
			if (data.status === 'failed' || data.status === 'partial') {
				throw new Error(`workflow ${workflowId} was not published (${data.status}): ${JSON.stringify(data.triggers)}`);
			}
			if (Date.now() > deadline) throw new Error(`workflow ${workflowId} still "${data.status}" after ${timeoutMs} ms`);
			await new Promise((r) => setTimeout(r, 250));
		}
	}

	/**
	 * Activates a workflow through the public API (after `createApiKey`), as a user's script would; on 2.x, where that
	 * is publishing, waits until the triggers are live (see waitForPublished).
	 */
	async activate(workflowId: string, runtime: 'n8n1' | 'n8n2'): Promise<void> {
		await this.request('POST', `/api/v1/workflows/${workflowId}/activate`, {}, { publicApi: true });
		if (runtime === 'n8n2') await this.waitForPublished(workflowId);
	}

	/** A public-API key with every scope the owner may grant (n8n >= 1.9x requires explicit scopes). */
	async createApiKey(): Promise<string> {
		let scopes: string[] | undefined;
		try {
			scopes = (await this.request<string[]>('GET', '/rest/api-keys/scopes')).data;
		} catch {
			scopes = undefined;
		}
		const { data } = await this.request<{ rawApiKey?: string; apiKey?: string }>('POST', '/rest/api-keys', { label: 'dwh-e2e', scopes, expiresAt: null });
		this.apiKey = data.rawApiKey ?? data.apiKey ?? '';
		if (!this.apiKey) throw new Error(`n8n returned no API key: ${JSON.stringify(data)}`);
		return this.apiKey;
	}
}
