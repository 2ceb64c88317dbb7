import type { Agentd } from '../agentd-client.ts';
import { AgentdError } from '../errors/index.ts';
import type { CompletionItem, CompletionResult } from '../resources/resource-types.ts';

/** A batch goes out once this many completions wait... */
const MAX_BATCH = 50;
/** ...or this long after the first one arrived: short enough to add no visible latency. */
const FLUSH_DELAY_MS = 5;
/**
 * Completion is worth more retries than a read: the work is done and each item is idempotent per
 * lease, so a replay is harmless, while giving up means the run is redone after its lease lapses.
 */
const COMPLETION_RETRIES = 5;

interface Pending {
  item: CompletionItem;
  resolve: (result: CompletionResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Collects completions and failures from many tasks into `POST /v1/worker/complete` calls.
 * Each submit resolves with its own item's result; it rejects only when the whole request failed.
 */
export class CompletionBatcher {
  readonly #client: Agentd;
  #pending: Pending[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(client: Agentd) {
    this.#client = client;
  }

  submit(item: CompletionItem): Promise<CompletionResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length >= MAX_BATCH) this.#sendPending();
      else this.#timer ??= setTimeout(() => this.#sendPending(), FLUSH_DELAY_MS);
    });
  }

  /** Sends what waits and resolves when every request in flight has finished. */
  async flush(): Promise<void> {
    this.#sendPending();
    await Promise.allSettled([...this.#inFlight]);
  }

  #sendPending(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.length === 0) return;
    const batch = this.#pending.splice(0, this.#pending.length);
    const request = this.#send(batch);
    this.#inFlight.add(request);
    void request.finally(() => this.#inFlight.delete(request));
  }

  async #send(batch: Pending[]): Promise<void> {
    try {
      const { results } = await this.#client.worker.completeBatch(
        batch.map((p) => p.item),
        { maxRetries: COMPLETION_RETRIES },
      );
      const byLease = new Map(results.map((r) => [r.lease_id, r]));
      for (const p of batch) {
        const result = byLease.get(p.item.lease_id);
        if (result) p.resolve(result);
        else p.reject(new AgentdError(`The server answered no result for lease ${p.item.lease_id}.`));
      }
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
