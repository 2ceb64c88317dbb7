/**
 * When to retry a request and how long to wait: one place, so the client, the SSE reconnects and
 * the worker's lease loop back off the same way.
 */

/** First retry after 0.5 s, doubling. */
export const INITIAL_RETRY_DELAY_MS = 500;
/** Backoff stops doubling at 8 s: longer gaps only delay recovery after an outage. */
export const MAX_RETRY_DELAY_MS = 8_000;
/**
 * A server's Retry-After is honoured up to a minute; larger values are clamped so one header
 * cannot park a caller for hours.
 */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Exponential backoff with jitter: `initial * 2^retry`, capped, then reduced by up to 25% at
 * random so many clients that failed together do not come back together.
 *
 * @example
 * backoffDelayMs(0); // 375–500
 * backoffDelayMs(6); // 6000–8000
 */
export function backoffDelayMs(
  retry: number,
  options: { initialMs?: number; maxMs?: number; random?: () => number } = {},
): number {
  const initial = options.initialMs ?? INITIAL_RETRY_DELAY_MS;
  const max = options.maxMs ?? MAX_RETRY_DELAY_MS;
  const random = options.random ?? Math.random;
  const base = Math.min(initial * 2 ** Math.max(0, retry), max);
  return Math.round(base * (1 - random() * 0.25));
}

/**
 * Reads `retry-after-ms`, then `Retry-After` as seconds or an HTTP date. Returns undefined when
 * neither is usable, so the caller falls back to backoff.
 *
 * @example
 * parseRetryAfterMs(new Headers({ 'retry-after': '2' })); // 2000
 */
export function parseRetryAfterMs(headers: Headers | undefined, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.min(value, MAX_RETRY_AFTER_MS);
  }
  const after = headers.get('retry-after');
  if (after === null || after.trim() === '') return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS) : undefined;
  const date = Date.parse(after);
  if (Number.isNaN(date)) return undefined;
  return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
}

/**
 * The delay before retry number `retry` (0-based): the server's word first, else backoff.
 * @example
 * await sleep(retryDelayMs(attempt, response.headers));
 */
export function retryDelayMs(retry: number, headers?: Headers): number {
  return parseRetryAfterMs(headers) ?? backoffDelayMs(retry);
}

/**
 * Whether an answer is worth another try. 409 is retried only for IDEMPOTENCY_IN_FLIGHT (the
 * first request is still running; the replay will return its answer); every other conflict, such
 * as LEASE_LOST or RUN_ALREADY_TERMINAL, is final and would fail the same way again.
 *
 * @example
 * isRetryableStatus(409, 'IDEMPOTENCY_IN_FLIGHT'); // true
 * isRetryableStatus(409, 'LEASE_LOST');            // false
 */
export function isRetryableStatus(status: number, code: string | undefined): boolean {
  if (status === 408 || status === 429 || status >= 500) return true;
  return status === 409 && code === 'IDEMPOTENCY_IN_FLIGHT';
}
