export type DeltaBatch = { type: string; text: string; extra: Record<string, unknown> }[];

/**
 * Streamed text becomes `run.output.delta` events, at most one write per run per `intervalMs`: a busy
 * model would otherwise cost a commit per token. Text arriving while a write is in flight is
 * kept for the next one; `flush()` writes what is left (before the step is recorded).
 */
export class DeltaCoalescer {
  readonly #write: (batch: DeltaBatch) => Promise<unknown>;
  readonly #intervalMs: number;
  /** Text per stream (a type, or a type and a tool call), in arrival order. */
  readonly #pending = new Map<string, { type: string; extra: Record<string, unknown>; text: string }>();
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> = Promise.resolve();
  #last = 0;
  #error: unknown = null;

  constructor(write: (batch: DeltaBatch) => Promise<unknown>, intervalMs: number) {
    this.#write = write;
    this.#intervalMs = intervalMs;
  }

  /** `extra`: the event's other fields, which also tell streams apart (a tool call's id). */
  push(type: string, text: string, extra: Record<string, unknown> = {}): void {
    if (!text) return;
    const key = `${type}\u0000${JSON.stringify(extra)}`;
    const held = this.#pending.get(key);
    if (held) held.text += text;
    else this.#pending.set(key, { type, extra, text });
    if (this.#timer) return;
    const wait = Math.max(0, this.#last + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#drain();
    }, wait);
  }

  #drain(): Promise<void> {
    const batch = [...this.#pending.values()];
    this.#pending.clear();
    if (batch.length === 0) return this.#inFlight;
    this.#last = Date.now();
    this.#inFlight = this.#inFlight.then(async () => {
      try {
        // One write (one commit at most) for everything held since the last.
        await this.#write(batch);
      } catch (err) {
        this.#error ??= err;
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
