import type { Agentd } from '../agentd-client.ts';
import { AgentdError } from '../errors/index.ts';
import { APIError } from '../errors/index.ts';
import type { CompleteLeaseParams, CompletionItem, CompletionResult } from '../resources/resource-types.ts';
import type { Task } from '@agentd/protocol';

/** The most results one `POST /v1/worker/complete` takes (the server's limit). */
export const MAX_RESULTS_PER_CALL = 500;
/** A batch goes out once this many completions wait (the worker sizes it by its slots)... */
const DEFAULT_BATCH = 50;
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
  #immediate: ReturnType<typeof setImmediate> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** The server refused a lease riding on a completion (an older server): stop asking. */
  #leaseRideRefused = false;

  /**
   * Whether nothing could join a batch now: the worker's lease loop is parked in a long-poll (so
   * no lease call will carry the outcome) and no other task of the worker is running. Then an
   * outcome goes on the next turn instead of after FLUSH_DELAY_MS: a chain of runs handled one
   * at a time (a workflow's steps, a ctx.call child) pays no batching delay per run.
   */
  readonly #alone: () => boolean;
  readonly #batchSize: number;

  /** `batchSize`: how many outcomes make a full batch (capped at MAX_RESULTS_PER_CALL). */
  constructor(client: Agentd, opts: { alone?: () => boolean; batchSize?: number } = {}) {
    this.#client = client;
    this.#alone = opts.alone ?? (() => false);
    this.#batchSize = Math.max(1, Math.min(opts.batchSize ?? DEFAULT_BATCH, MAX_RESULTS_PER_CALL));
  }

  submit(item: CompletionItem): Promise<CompletionResult> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      // A full batch goes on the next turn, not at once: the lease loop may take it first and
      // lease more in the same call (sendWithLease).
      if (this.#pending.length >= this.#batchSize || (this.#pending.length === 1 && this.#alone())) this.#immediate ??= setImmediate(() => this.#sendPending());
      else this.#timer ??= setTimeout(() => this.#sendPending(), FLUSH_DELAY_MS);
    });
  }

  /** Sends what waits and resolves when every request in flight has finished. */
  async flush(): Promise<void> {
    // A burst past one call's limit sends in several turns: wait until nothing waits or flies.
    while (this.#pending.length > 0 || this.#inFlight.size > 0) {
      this.#sendPending();
      await Promise.allSettled([...this.#inFlight]);
    }
  }

  /** Completions waiting to be sent. */
  get pendingCount(): number {
    return this.#leaseRideRefused ? 0 : this.#pending.length;
  }

  /**
   * Sends what waits now, with a lease for more riding on the same call; resolves with the tasks
   * leased. The call is not retried (a retry would lease again): if it fails, the results go
   * again alone, with the usual retries, and no task is returned.
   */
  sendWithLease(lease: CompleteLeaseParams): Promise<Task[]> {
    const batch = this.#take();
    if (batch.length === 0) return Promise.resolve([]);
    const request = (async (): Promise<Task[]> => {
      try {
        const { results, tasks } = await this.#client.worker.completeAndLease(
          batch.map((p) => p.item),
          lease,
          { maxRetries: 0 },
        );
        this.#settle(batch, results);
        return tasks;
      } catch (err) {
        // An older server refuses the unknown `lease` field (details name `body.lease`); a 400
        // about the results themselves is answered again, item by item, below.
        if (err instanceof APIError && err.status === 400 && JSON.stringify(err.details ?? null).includes('"body.lease')) this.#leaseRideRefused = true;
        await this.#send(batch);
        return [];
      }
    })();
    this.#track(request);
    return request;
  }

  #take(): Pending[] {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    const batch = this.#pending.splice(0, MAX_RESULTS_PER_CALL);
    // More than one call takes (a burst of a very wide worker): the rest go on the next turn.
    if (this.#pending.length > 0) this.#immediate = setImmediate(() => this.#sendPending());
    return batch;
  }

  #track(request: Promise<unknown>): void {
    this.#inFlight.add(request);
    void request.finally(() => this.#inFlight.delete(request));
  }

  #sendPending(): void {
    const batch = this.#take();
    if (batch.length > 0) this.#track(this.#send(batch));
  }

  #settle(batch: Pending[], results: CompletionResult[]): void {
    const byLease = new Map(results.map((r) => [r.lease_id, r]));
    for (const p of batch) {
      const result = byLease.get(p.item.lease_id);
      if (result) p.resolve(result);
      else p.reject(new AgentdError(`The server answered no result for lease ${p.item.lease_id}.`));
    }
  }

  async #send(batch: Pending[]): Promise<void> {
    try {
      const { results } = await this.#client.worker.completeBatch(
        batch.map((p) => p.item),
        { maxRetries: COMPLETION_RETRIES },
      );
      this.#settle(batch, results);
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
