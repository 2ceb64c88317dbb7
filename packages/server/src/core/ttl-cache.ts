/**
 * A small bounded cache whose entries live `ttlMs`. Used for hot reads that other nodes may
 * change (API keys, agent rows): a local change clears the entry at once, another node's change
 * is seen within the TTL.
 */
export class TtlCache<V> {
  readonly #map = new Map<string, { value: V; until: number }>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(ttlMs: number, max = 10_000) {
    this.#ttlMs = ttlMs;
    this.#max = max;
  }

  get(key: string): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    if (hit.until < Date.now()) {
      this.#map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V): void {
    if (this.#map.size >= this.#max) this.#map.delete(this.#map.keys().next().value as string);
    this.#map.set(key, { value, until: Date.now() + this.#ttlMs });
  }

  delete(key: string): void {
    this.#map.delete(key);
  }

  clear(): void {
    this.#map.clear();
  }
}
