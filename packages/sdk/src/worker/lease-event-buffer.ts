import type { Agentd } from '../agentd-client.ts';
import type { WorkerEventInput } from '../resources/resource-types.ts';
import { isLeaseGone } from './lease-conflict.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

/** The server takes 1–100 events per append. */
const MAX_EVENTS_PER_APPEND = 100;
/**
 * Events wait this long for company: a handler streaming tokens makes one request per burst
 * instead of one per token, and a human watching sees no lag.
 */
const FLUSH_DELAY_MS = 25;

interface Pending {
  event: WorkerEventInput;
  resolve: () => void;
}

/**
 * Buffers one task's events and appends them in order through its lease. Sends are serial, so
 * seqs follow call order; the returned promises resolve when sent and never reject: a lost log
 * line must not fail the run, and the handler may not even await it.
 */
export class LeaseEventBuffer {
  readonly #client: Agentd;
  readonly #leaseId: string;
  readonly #logger: WorkerLogger;
  readonly #onLeaseLost: () => void;
  #pending: Pending[] = [];
  #chain: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: { client: Agentd; leaseId: string; logger: WorkerLogger; onLeaseLost: () => void }) {
    this.#client = options.client;
    this.#leaseId = options.leaseId;
    this.#logger = options.logger;
    this.#onLeaseLost = options.onLeaseLost;
  }

  push(event: WorkerEventInput): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#pending.push({ event, resolve });
      if (this.#pending.length >= MAX_EVENTS_PER_APPEND) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
    });
  }

  /** Sends everything pushed so far; resolves when it has been sent (or given up on). */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, MAX_EVENTS_PER_APPEND);
      this.#chain = this.#chain.then(() => this.#send(batch));
    }
    return this.#chain;
  }

  /** Drops what is unsent and accepts nothing more (the lease is gone or the run settled). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const p of this.#pending.splice(0)) p.resolve();
  }

  async #send(batch: Pending[]): Promise<void> {
    try {
      await this.#client.leases.appendEvents(this.#leaseId, batch.map((p) => p.event));
    } catch (err) {
      if (isLeaseGone(err)) this.#onLeaseLost();
      else this.#logger.warn('dropped run events the server did not take', { lease_id: this.#leaseId, count: batch.length, ...errorFields(err) });
    } finally {
      for (const p of batch) p.resolve();
    }
  }
}
