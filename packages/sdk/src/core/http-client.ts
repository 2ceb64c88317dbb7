import { AgentdError, APIConnectionError, APIConnectionTimeoutError, APIUserAbortError, makeAPIError } from '../errors/index.ts';
import type { Page } from '@agentd/protocol';
import { anySignal, sleep } from './abort-utils.ts';
import { resolveClientOptions, type ClientOptions, type Fetch } from './client-options.ts';
import { PagePromise } from './page-promise.ts';
import { randomUUID } from './random-uuid.ts';
import type { QueryValue, RequestOptions, RequestSpec } from './request-options.ts';
import { backoffDelayMs, isRetryableStatus, retryDelayMs } from './retry-policy.ts';

interface AttemptResult {
  response: Response;
  /** The whole body, read inside the timeout; absent for a successful stream. */
  text?: string;
}

/**
 * The transport under every resource: URLs, auth, timeouts, retries and idempotency keys.
 * Uses only `fetch`, `AbortController` and Web Crypto, so it runs in any fetch runtime.
 * `request` is public for routes the resources do not cover yet.
 *
 * @example
 * const health = await client.request<{ status: string }>({ method: 'GET', path: '/v1/health' });
 */
export class HttpClient {
  readonly baseURL: string;
  readonly maxRetries: number;
  readonly timeout: number;
  readonly #apiKey: string | undefined;
  readonly #fetch: Fetch;
  readonly #defaultHeaders: Record<string, string>;

  constructor(options: ClientOptions = {}) {
    const resolved = resolveClientOptions(options);
    this.baseURL = resolved.baseURL;
    this.maxRetries = resolved.maxRetries;
    this.timeout = resolved.timeout;
    this.#apiKey = resolved.apiKey;
    this.#fetch = resolved.fetch;
    this.#defaultHeaders = resolved.defaultHeaders;
  }

  /** Sends a request, retrying as the policy allows, and returns the parsed JSON body. */
  async request<T>(spec: RequestSpec, options: RequestOptions = {}): Promise<T> {
    const { response, text } = await this.#send(spec, options, 'json');
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new AgentdError(`Invalid JSON in the ${response.status} response to ${spec.method} ${spec.path}`, { cause: err });
    }
  }

  /**
   * Opens a streaming response (SSE) and returns it with its body unread. Retries apply only
   * until the headers arrive; the timeout likewise, since a healthy stream may stay open for hours.
   */
  async requestStream(spec: RequestSpec, options: RequestOptions = {}): Promise<Response> {
    const { response } = await this.#send(spec, options, 'stream');
    return response;
  }

  /** A list call: await it for the first page, or `for await` it for every item of every page. */
  requestPage<T>(path: string, query: Record<string, QueryValue>, options: RequestOptions = {}): PagePromise<T> {
    return new PagePromise<T>((cursor) =>
      this.request<Page<T>>({ method: 'GET', path, query: { ...query, cursor: cursor ?? query.cursor } }, options),
    );
  }

  buildURL(path: string, query?: Record<string, QueryValue>): string {
    const url = new URL(this.baseURL + path);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  async #send(spec: RequestSpec, options: RequestOptions, mode: 'json' | 'stream'): Promise<AttemptResult> {
    const maxRetries = options.maxRetries ?? this.maxRetries;
    // One key per logical call, reused by its retries: that is what lets the server recognise a
    // retry of a POST whose answer was lost and replay it instead of doing the work twice.
    const idempotencyKey = spec.method === 'POST' ? (options.idempotencyKey ?? randomUUID()) : undefined;
    for (let retry = 0; ; retry++) {
      let result: AttemptResult;
      try {
        result = await this.#attempt(spec, options, mode, idempotencyKey);
      } catch (err) {
        if (retry >= maxRetries || !(err instanceof APIConnectionError)) throw err;
        await this.#wait(backoffDelayMs(retry), options.signal);
        continue;
      }
      const { response, text } = result;
      if (response.ok) return result;
      const error = makeAPIError(response.status, text ?? '', response.headers);
      if (retry >= maxRetries || !isRetryableStatus(response.status, error.code)) throw error;
      await this.#wait(retryDelayMs(retry, response.headers), options.signal);
    }
  }

  async #attempt(
    spec: RequestSpec,
    options: RequestOptions,
    mode: 'json' | 'stream',
    idempotencyKey: string | undefined,
  ): Promise<AttemptResult> {
    if (options.signal?.aborted) throw new APIUserAbortError({ cause: options.signal.reason });
    const timeoutController = new AbortController();
    const timer = setTimeout(() => timeoutController.abort(), options.timeout ?? this.timeout);
    const signal = anySignal([timeoutController.signal, options.signal]);
    try {
      const response = await this.#fetch(this.buildURL(spec.path, spec.query), {
        method: spec.method,
        headers: this.#headers(spec, options, mode, idempotencyKey),
        body: spec.rawBody?.text ?? (spec.body === undefined ? undefined : JSON.stringify(spec.body)),
        signal,
      });
      if (mode === 'stream' && response.ok) return { response };
      return { response, text: await response.text() };
    } catch (err) {
      if (options.signal?.aborted) throw new APIUserAbortError({ cause: err });
      if (timeoutController.signal.aborted) throw new APIConnectionTimeoutError({ cause: err });
      throw new APIConnectionError({ message: `Connection error: ${describe(err)}`, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  #headers(spec: RequestSpec, options: RequestOptions, mode: 'json' | 'stream', key: string | undefined): Record<string, string> {
    const headers: Record<string, string> = {
      accept: mode === 'stream' ? 'text/event-stream' : 'application/json',
    };
    if (spec.rawBody) headers['content-type'] = spec.rawBody.contentType;
    else if (spec.body !== undefined) headers['content-type'] = 'application/json';
    if (this.#apiKey) headers.authorization = `Bearer ${this.#apiKey}`;
    if (key !== undefined) headers['idempotency-key'] = key;
    return { ...headers, ...lower(this.#defaultHeaders), ...lower(spec.headers), ...lower(options.headers) };
  }

  async #wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (err) {
      throw new APIUserAbortError({ cause: err });
    }
  }
}

function lower(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) out[k.toLowerCase()] = v;
  return out;
}

function describe(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
