import { LRUCache } from 'lru-cache';
import { createScrubber, type ScrubEntry, type Scrubber } from './secret-scrubber.ts';

/**
 * A lease's scrubber is reused this long: a worker appending events in bursts costs one
 * decryption per lease, not one per request. Short, because it holds plaintext in memory.
 */
export const SCRUBBER_TTL_MS = 5_000;
const SCRUBBER_CACHE_SIZE = 10_000;

interface Cached {
  /** When it was built; -Infinity once a change made it stale (rebuilt on next use). */
  at: number;
  entries: ScrubEntry[];
  scrub: Scrubber;
}

/**
 * Each lease's scrubber, by tenant and lease. A lease's entries only grow while it is cached: a
 * rebuild (after SCRUBBER_TTL_MS, or after `forget`) adds what the grants now name to what the
 * lease was known to hold, so a secret deleted or a grant revoked after the lease began is still
 * scrubbed from what that lease reports. A build that read the grants before a change
 * (`generation` moved while it ran) is kept stale, so the next use rebuilds it.
 */
export class ScrubberCache {
  readonly #cache = new LRUCache<string, Cached>({ max: SCRUBBER_CACHE_SIZE });
  readonly #generations = new LRUCache<string, number>({ max: 10_000 });

  /** The tenant's generation now: read it before reading the grants a build uses. */
  generation(tenantId: string): number {
    return this.#generations.get(tenantId) ?? 0;
  }

  /** The lease's scrubber if it was built less than SCRUBBER_TTL_MS ago and nothing changed since. */
  fresh(tenantId: string, leaseId: string, now: number): Scrubber | undefined {
    const cached = this.#cache.get(key(tenantId, leaseId));
    return cached && now - cached.at < SCRUBBER_TTL_MS ? cached.scrub : undefined;
  }

  /** Caches `entries` (with what the lease already had) as read at `generation`; returns the scrubber. */
  put(tenantId: string, leaseId: string, entries: readonly ScrubEntry[], now: number, generation: number): Scrubber {
    const k = key(tenantId, leaseId);
    const merged = new Map<string, ScrubEntry>();
    for (const e of [...(this.#cache.get(k)?.entries ?? []), ...entries]) merged.set(`${e.name}\u0000${e.value}`, e);
    const all = [...merged.values()];
    const scrub = createScrubber(all);
    this.#cache.set(k, { at: generation === this.generation(tenantId) ? now : -Infinity, entries: all, scrub });
    return scrub;
  }

  /** A grant or secret of the tenant changed: its cached scrubbers are rebuilt on next use (keeping what they hold). */
  forget(tenantId: string): void {
    this.#generations.set(tenantId, this.generation(tenantId) + 1);
    const prefix = key(tenantId, '');
    for (const [k, cached] of this.#cache.entries()) if (k.startsWith(prefix)) cached.at = -Infinity;
  }
}

const key = (tenantId: string, leaseId: string): string => `${tenantId}\u0000${leaseId}`;
