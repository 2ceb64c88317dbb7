/** How long a client may take, ms; see ApiConfig for what each one means. */
export interface ServerTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
}

/**
 * Fastify's options for Node's HTTP server timeouts. Node checks the header and request timeouts
 * only every `connectionsCheckingInterval` (30 s by default), so a 10 s header timeout would
 * really be up to 40 s; the check runs at a tenth of the shorter timeout (at least every second,
 * at most every 100 ms), which costs one walk over the connections that are mid-request.
 * `connectionTimeout` (socket inactivity) stays off: SSE streams and long-polls are quiet on
 * purpose, and the header and request timeouts already cover clients that send too slowly.
 */
export function serverTimeoutOptions(t: ServerTimeouts) {
  const shorter = Math.min(t.headersTimeoutMs, t.requestTimeoutMs || Number.POSITIVE_INFINITY);
  const checkEvery = Math.max(100, Math.min(1000, Math.floor(shorter / 10)));
  return {
    connectionTimeout: 0,
    // Node requires requestTimeout ≥ headersTimeout when both are set (0 = no request timeout).
    requestTimeout: t.requestTimeoutMs,
    keepAliveTimeout: t.keepAliveTimeoutMs,
    http: { headersTimeout: t.headersTimeoutMs, connectionsCheckingInterval: checkEvery },
  };
}
