import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../store/index.ts';
import { sendError } from './errors.ts';
import type { LimitsConfig, Rate } from './limits-config.ts';
import { SharedBuckets } from './shared-buckets.ts';
import { StreamCap } from './stream-cap.ts';
import { MemoryBuckets } from './token-bucket.ts';

interface Buckets {
  take(name: string, rate: Rate): number | Promise<number>;
}

/**
 * The client address a failure budget belongs to: the socket's peer, or what trusted proxies say
 * (Fastify's `trustProxy` already chose, so `request.ip` is the right one). An IPv6 client is
 * counted by its /64, the block a single host is usually given: otherwise it could spend a fresh
 * budget per address.
 */
export function clientAddress(request: FastifyRequest): string {
  const ip = request.ip;
  if (ip.startsWith('::ffff:') && ip.includes('.')) return ip.slice(7);
  if (!ip.includes(':')) return ip;
  return `${ipv6Groups(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of an IPv6 address, `::` expanded, a zone (`%eth0`) dropped, lower-case, no leading zeros. */
export function ipv6Groups(ip: string): string[] {
  const [addr] = ip.toLowerCase().split('%');
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, null];
  const left = head.split(':').filter((g) => g !== '');
  const right = tail === null ? [] : tail.split(':').filter((g) => g !== '');
  const groups = tail === null ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return groups.map((g) => g.replace(/^0+(?=.)/, ''));
}

/** `429 RATE_LIMITED` with Retry-After in whole seconds (at least 1) and what was exceeded. */
export function sendRateLimited(reply: FastifyReply, request: FastifyRequest, limit: string, retryAfterMs: number, message: string): FastifyReply {
  reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  return sendError(reply, request, 'RATE_LIMITED', message, { limit, retry_after_ms: Math.ceil(retryAfterMs) });
}

/**
 * Every limit of one app: bad keys per client address (always in this node's memory: a flood
 * hits the node it reaches), request rates per key and per tenant (shared by all nodes on
 * PostgreSQL, in memory on SQLite, which is one node), and open streams per key.
 */
export class RateLimits {
  readonly config: LimitsConfig;
  readonly streams: StreamCap;
  readonly #failures = new MemoryBuckets();
  readonly #requests: Buckets | null;
  #shared: SharedBuckets | null = null;
  /** Per-trigger delivery rates (always on: each trigger has one), shared like the request rates. */
  #hooks: Buckets | null = null;
  readonly #store: Store;
  readonly #onError: (err: unknown) => void;

  constructor(opts: { config: LimitsConfig; store: Store; onError: (err: unknown) => void }) {
    this.config = opts.config;
    this.streams = new StreamCap(opts.config.sseStreamsPerKey);
    if (!opts.config.keyRate && !opts.config.tenantRate) this.#requests = null;
    // listenNotify means other nodes share this database, so their requests must count too.
    else if (opts.store.capabilities.listenNotify) this.#requests = this.#shared = new SharedBuckets(opts.store.db, { onError: opts.onError });
    else this.#requests = new MemoryBuckets();
    this.#store = opts.store;
    this.#onError = opts.onError;
  }

  /** Takes one delivery of trigger `id` from its bucket: 0 when taken, else how long until one is there, ms. */
  hook(id: string, rate: Rate): number | Promise<number> {
    // Made at first use: an app that never receives a delivery opens nothing.
    this.#hooks ??= this.#store.capabilities.listenNotify ? (this.#shared ??= new SharedBuckets(this.#store.db, { onError: this.#onError })) : new MemoryBuckets();
    return this.#hooks.take(`hook:${id}`, rate);
  }

  /**
   * Counts a presented key that is not valid; returns 0 while the address is within its budget,
   * else how long until it has one again, ms (answer 429 instead of 401).
   */
  badKey(request: FastifyRequest): number {
    const rate = this.config.authFailureRate;
    return rate ? this.#failures.take(clientAddress(request), rate) : 0;
  }

  /** onRequest hook, after authentication: the request rate of the key, then of its tenant. */
  readonly requestHook = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const p = request.principal;
    if (!this.#requests || !p || (p.role === 'admin' && !this.config.rateLimitAdmin)) return undefined;
    const { keyRate, tenantRate } = this.config;
    if (keyRate) {
      const wait = await this.#requests.take(`key:${p.keyId}`, keyRate);
      if (wait > 0) return sendRateLimited(reply, request, 'key', wait, `this API key may make ${keyRate.count} requests per ${keyRate.periodMs} ms`);
    }
    if (tenantRate) {
      const wait = await this.#requests.take(`tenant:${p.tenantId}`, tenantRate);
      if (wait > 0) return sendRateLimited(reply, request, 'tenant', wait, `this tenant may make ${tenantRate.count} requests per ${tenantRate.periodMs} ms`);
    }
    return undefined;
  };

  /** Round trips to the shared bucket table so far (0 on SQLite). */
  get sharedRoundTrips(): number {
    return this.#shared?.roundTrips ?? 0;
  }

  close(): void {
    this.#shared?.close();
  }
}
