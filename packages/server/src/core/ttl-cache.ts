import { LRUCache } from 'lru-cache';

/**
 * A small bounded cache whose entries live `ttlMs`. Used for hot reads that other nodes may
 * change (API keys): a local change clears the entry at once, another node's change is seen
 * within the TTL. Least recently used entries go first when it is full; expired ones are never
 * returned. (`lru-cache` underneath: the hand-rolled map evicted in insertion order and kept
 * expired entries until they were read again.)
 */
export class TtlCache<V extends {}> {
  readonly #cache: LRUCache<string, V>;

  /** `ttlMs`: how long an entry lives. `max`: entries kept; default 10,000. */
  constructor(opts: { ttlMs: number; max?: number }) {
    this.#cache = new LRUCache({ max: opts.max ?? 10_000, ttl: opts.ttlMs });
  }

  get(key: string): V | undefined {
    return this.#cache.get(key);
  }

  set(key: string, value: V): void {
    this.#cache.set(key, value);
  }

  delete(key: string): void {
    this.#cache.delete(key);
  }

  clear(): void {
    this.#cache.clear();
  }
}
