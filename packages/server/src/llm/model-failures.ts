import { APICallError } from 'ai';

// How a failed model call is classified: retried by another attempt, answered by the alias's
// fallback, and how its message reads in the run's failure.

/** A model error another attempt may get past: 429, 5xx, timeouts and connection errors. 4xx are not. */
export function retryable(err: unknown): boolean {
  const cause = (err as { lastError?: unknown; errors?: unknown[] })?.lastError ?? err;
  if (APICallError.isInstance(cause)) return cause.isRetryable;
  return true;
}

/** Error codes of a connection that failed or dropped (Node's sockets and undici). */
const CONNECTION_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED']);

/**
 * Whether a model call failed on the provider's side, so that another alias may succeed: an API
 * answer the SDK deems retryable (429, 5xx, and the connection failures it wraps as such), the
 * alias's timeout, or a connection refused or dropped mid-stream. A 4xx, a reply that does not
 * parse, a tool or schema problem, or a bug of ours is not: the fallback would fail the same way.
 */
export function providerFailure(err: unknown): boolean {
  const last = (err as { lastError?: unknown })?.lastError ?? err;
  if (APICallError.isInstance(last)) return last.isRetryable;
  for (let e: unknown = last, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { name, code, message } = e as { name?: unknown; code?: unknown; message?: unknown };
    if (APICallError.isInstance(e)) return e.isRetryable;
    if (name === 'TimeoutError') return true;
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    if (e instanceof TypeError && typeof message === 'string' && /^(fetch failed|terminated)$/i.test(message)) return true;
  }
  return false;
}

export function messageOf(err: unknown): string {
  const cause = (err as { lastError?: unknown })?.lastError;
  const msg = err instanceof Error ? err.message : String(err);
  return (cause instanceof Error && cause.message !== msg ? `${msg} (${cause.message})` : msg).slice(0, 2000);
}
