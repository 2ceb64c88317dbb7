/** A token bucket: `count` tokens, refilled evenly over `periodMs` (so bursts up to `count`). */
export interface Rate {
  count: number;
  periodMs: number;
}

/** What protects the server from slow, flooding or greedy clients. */
export interface LimitsConfig {
  /** Time for a client to send the request headers, ms (Node's headersTimeout). Default 10 s. */
  headersTimeoutMs: number;
  /** Time for a client to send the whole request, body included, ms; 0 = none. Default 30 s. */
  requestTimeoutMs: number;
  /**
   * How long an idle keep-alive connection is kept, ms. Default 72 s: above the 60 s idle
   * timeout of common load balancers, so the server never closes a connection the balancer is
   * about to reuse.
   */
  keepAliveTimeoutMs: number;
  /** Bad API keys accepted per client address before `429`; null = no limit. Default 60 a minute. */
  authFailureRate: Rate | null;
  /**
   * Proxies whose `X-Forwarded-For` is believed (addresses, CIDRs, or `loopback`, `linklocal`,
   * `uniquelocal`), comma-separated. Default none: the client address is the socket's peer, since
   * a header anybody can send must not choose whose failure budget is spent.
   */
  trustProxy: string | null;
  /** Requests per API key; null = unlimited. Default unlimited. */
  keyRate: Rate | null;
  /** Requests per tenant, all its keys together; null = unlimited. Default unlimited. */
  tenantRate: Rate | null;
  /** Whether admin keys are limited by keyRate/tenantRate too. Default false. */
  rateLimitAdmin: boolean;
  /** Open SSE streams per API key on one node; further ones get 429. Default 1,000. */
  sseStreamsPerKey: number;
  /**
   * A stream whose socket has not drained for this long is closed (the client resumes with
   * Last-Event-ID), so a reader that stopped reading holds no buffers. Default 30 s.
   */
  sseStallTimeoutMs: number;
}

export const DEFAULT_LIMITS_CONFIG: LimitsConfig = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 72_000,
  authFailureRate: { count: 60, periodMs: 60_000 },
  trustProxy: null,
  keyRate: null,
  tenantRate: null,
  rateLimitAdmin: false,
  sseStreamsPerKey: 1000,
  sseStallTimeoutMs: 30_000,
};
