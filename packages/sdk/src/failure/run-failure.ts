import type { RunFailure } from '@agentd/protocol';

/**
 * Throw this from a handler to fail the run without further attempts (bad input, a refusal that
 * will not change). Any error with a `non_retryable: true` property counts the same.
 *
 * @example
 * throw new NonRetryableError('No such customer', { type: 'customer_not_found', details: { id } });
 */
export class NonRetryableError extends Error {
  override name = 'NonRetryableError';
  readonly non_retryable = true;
  /** The failure `type`; default: `NonRetryableError`. */
  readonly type: string | undefined;
  readonly details: unknown;

  constructor(message: string, options: { type?: string; details?: unknown; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.type = options.type;
    this.details = options.details ?? null;
  }
}

/**
 * Normalises anything a handler threw into the serialisable `RunFailure` the server stores.
 * Retryability is data: `non_retryable` comes from the thrown value, never from its class alone,
 * so errors from any library can opt in.
 *
 * @example
 * ensureRunFailure(new TypeError('x'));        // { type: 'TypeError', message: 'x', non_retryable: false, details: null }
 * ensureRunFailure('boom');                    // { type: 'Error', message: 'boom', non_retryable: false, details: null }
 */
export function ensureRunFailure(value: unknown): RunFailure {
  if (value instanceof Error) {
    const e = value as Error & { type?: unknown; non_retryable?: unknown; details?: unknown; code?: unknown };
    return {
      type: nonEmpty(e.type) ?? nonEmpty(e.name) ?? 'Error',
      message: e.message || String(e),
      non_retryable: e.non_retryable === true,
      details: jsonSafe(e.details ?? (typeof e.code === 'string' ? { code: e.code } : null)),
    };
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return {
      type: nonEmpty(o.type) ?? nonEmpty(o.name) ?? 'Error',
      message: typeof o.message === 'string' ? o.message : safeString(value),
      non_retryable: o.non_retryable === true,
      details: jsonSafe(o.details ?? null),
    };
  }
  return { type: 'Error', message: value === undefined ? 'undefined was thrown' : String(value), non_retryable: false, details: null };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    // Cyclic or BigInt-bearing values cannot be stringified; the tag is better than nothing.
    return Object.prototype.toString.call(value);
  }
}

/** Details must survive JSON: cyclic or unserialisable ones are replaced by a description. */
function jsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return { unserializable: Object.prototype.toString.call(value) };
  }
}
