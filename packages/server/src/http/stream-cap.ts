/**
 * Open SSE streams per API key on this node. Streams hold a socket and a loop each, so one key
 * must not be able to hold them all; the cap is per node because that is where the sockets are.
 */
export class StreamCap {
  readonly #open = new Map<string, number>();
  readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  /** Counts one more stream of `keyId`; returns its release (call once), or null at the cap. */
  open(keyId: string): (() => void) | null {
    const n = this.#open.get(keyId) ?? 0;
    if (n >= this.max) return null;
    this.#open.set(keyId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#open.get(keyId) ?? 1) - 1;
      if (left <= 0) this.#open.delete(keyId);
      else this.#open.set(keyId, left);
    };
  }

  count(keyId: string): number {
    return this.#open.get(keyId) ?? 0;
  }
}
