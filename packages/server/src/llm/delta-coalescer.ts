/**
 * Streamed text becomes `run.output.delta` events, at most one per run per `intervalMs`: a busy
 * model would otherwise cost a commit per token. Text arriving while a write is in flight is
 * kept for the next one; `flush()` writes what is left (before the step is recorded).
 */
export class DeltaCoalescer {
  readonly #write: (type: string, text: string) => Promise<unknown>;
  readonly #intervalMs: number;
  readonly #pending = new Map<string, string>();
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> = Promise.resolve();
  #last = 0;
  #error: unknown = null;

  constructor(write: (type: string, text: string) => Promise<unknown>, intervalMs: number) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  push(type: string, text: string): void {
    if (!text) return;
    this.#pending.set(type, (this.#pending.get(type) ?? '') + text);
    if (this.#timer) return;
    const wait = Math.max(0, this.#last + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, wait);
  }

  #drain(): Promise<void> {
    const batch = [...this.#pending];
    this.#pending.clear();
    if (batch.length === 0) return this.#inFlight;
    this.#last = Date.now();
    this.#inFlight = this.#inFlight.then(async () => {
      for (const [type, text] of batch) {
        try {
          await this.#write(type, text);
        } catch (err) {
          this.#error ??= err;
        }
      }
    });
    return this.#inFlight;
  }

  /** Writes everything pushed so far; throws the first write error seen (a lost lease). */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    await this.#drain();
    if (this.#error) throw this.#error;
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
