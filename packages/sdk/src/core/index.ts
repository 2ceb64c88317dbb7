export { HttpClient } from './http-client.ts';
export { CursorPage, PagePromise, type PageFetcher } from './page-promise.ts';
export type { ClientOptions, Fetch } from './client-options.ts';
export { DEFAULT_BASE_URL, DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from './client-options.ts';
export type { HttpMethod, QueryValue, RequestOptions, RequestSpec } from './request-options.ts';
export { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, retryDelayMs } from './retry-policy.ts';
