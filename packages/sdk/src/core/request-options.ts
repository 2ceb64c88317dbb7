/** Per-call options, accepted as the last argument of every resource method. */
export interface RequestOptions {
  /** Aborts the call (and its retries) with `APIUserAbortError`. */
  signal?: AbortSignal;
  /** Milliseconds per try. Default: the client's `timeout`. */
  timeout?: number;
  /** Retries for this call. Default: the client's `maxRetries`. */
  maxRetries?: number;
  /** The POST's `Idempotency-Key`. Default: a random UUID made once per call, reused by its retries. */
  idempotencyKey?: string;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QueryValue = string | number | boolean | null | undefined;

/** One logical request, before retries. */
export interface RequestSpec {
  method: HttpMethod;
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON value, serialised; or raw text sent with `contentType`. */
  body?: unknown;
  /** Set when `body` is already text (YAML manifests). */
  rawBody?: { text: string; contentType: string };
  headers?: Record<string, string>;
}
