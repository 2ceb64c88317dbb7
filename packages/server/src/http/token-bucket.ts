import { LRUCache } from 'lru-cache';
import type { Rate } from './limits-config.ts';

/** Tokens a bucket holds after `elapsedMs` of refill from `tokens`, never above its size. */
export function refill(rate: Rate, tokens: number, elapsedMs: number): number {
  return Math.min(rate.count, tokens + (Math.max(0, elapsedMs) * rate.count) / rate.periodMs);
}

/** How long until a bucket holding `tokens` (< 1) has one again, ms. */
export function msUntilToken(rate: Rate, tokens: number): number {
  return Math.max(1, Math.ceil(((1 - tokens) * rate.periodMs) / rate.count));
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets in this process's memory, by name, at most `maxBuckets` of them: when full, the
 * least recently used is forgotten (a forgotten bucket comes back full, so the bound can only
 * make a limit milder for the oldest client, never stricter for anybody). That bound is what
 * keeps a flood from many addresses from growing the map without end.
 */
export class MemoryBuckets {
  readonly #buckets: LRUCache<string, Bucket>;
  readonly #now: () => number;

  /** `maxBuckets` default 100,000. */
  constructor(opts: { maxBuckets?: number; now?: () => number } = {}) {
    this.#buckets = new LRUCache({ max: opts.maxBuckets ?? 100_000 });
    this.#now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.#buckets.size;
  }

  /** Takes one token: 0 when taken, else how long until one is there, ms. */
  take(name: string, rate: Rate): number {
    const now = this.#now();
    const b = this.#buckets.get(name);
    const tokens = b ? refill(rate, b.tokens, now - b.at) : rate.count;
    if (tokens >= 1) {
      this.#buckets.set(name, { tokens: tokens - 1, at: now });
      return 0;
    }
    this.#buckets.set(name, { tokens, at: now });
    return msUntilToken(rate, tokens);
  }
}
