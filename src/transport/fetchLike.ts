/**
 * The part of `fetch` the core's HTTP clients (dbt Cloud, FX rates, geo service) use. The core defaults to the
 * global fetch; a node passes n8n's request helper in this shape, so n8n's proxy and TLS settings apply, without
 * the core importing n8n.
 */
export interface FetchLikeInit {
	method?: 'GET' | 'POST';
	headers?: Record<string, string>;
	body?: string;
	signal?: AbortSignal;
}

export interface FetchLikeResponse {
	ok: boolean;
	status: number;
	text(): Promise<string>;
	json(): Promise<unknown>;
}

export type FetchLike = (url: string, init?: FetchLikeInit) => Promise<FetchLikeResponse>;

export const globalFetch: FetchLike = (url, init) => fetch(url, init);
