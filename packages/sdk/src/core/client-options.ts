/** A `fetch`-compatible function: the global one, undici's, or a test double. */
export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface ClientOptions {
  /** Server URL. Default: env `AGENTD_URL`, then `http://127.0.0.1:7070`. */
  baseURL?: string;
  /** API key sent as `Authorization: Bearer <key>`. Default: env `AGENTD_API_KEY`. */
  apiKey?: string;
  /** Retries after the first try of each request. Default: 2. */
  maxRetries?: number;
  /** Milliseconds per try before it is abandoned (and retried). Default: 60000. */
  timeout?: number;
  /** The fetch implementation. Default: `globalThis.fetch`. */
  fetch?: Fetch;
  /** Headers added to every request. Default: none. */
  defaultHeaders?: Record<string, string>;
}

export interface ResolvedClientOptions {
  baseURL: string;
  apiKey: string | undefined;
  maxRetries: number;
  timeout: number;
  fetch: Fetch;
  defaultHeaders: Record<string, string>;
}

export const DEFAULT_BASE_URL = 'http://127.0.0.1:7070';
export const DEFAULT_MAX_RETRIES = 2;
export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Reads an environment variable only where one exists: the client also runs in browsers, Deno
 * and workers, where touching a bare `process` would throw.
 */
function readEnv(name: string): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.[name]?.trim();
  return value ? value : undefined;
}

export function resolveClientOptions(options: ClientOptions): ResolvedClientOptions {
  const fetchFn = options.fetch ?? (globalThis.fetch?.bind(globalThis) as Fetch | undefined);
  if (!fetchFn) throw new TypeError('No fetch implementation: pass `fetch` in the client options.');
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) throw new TypeError('maxRetries must be a non-negative integer');
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeout > 0)) throw new TypeError('timeout must be a positive number of milliseconds');
  return {
    baseURL: (options.baseURL ?? readEnv('AGENTD_URL') ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
    apiKey: options.apiKey ?? readEnv('AGENTD_API_KEY'),
    maxRetries,
    timeout,
    fetch: fetchFn,
    defaultHeaders: options.defaultHeaders ?? {},
  };
}
