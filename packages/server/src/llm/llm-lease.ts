import type { RunFailure } from '@agentd/protocol';
import { DomainError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { runByLease, type LeaseService } from '../leases/index.ts';
import { appendRunEvents, LEASED_STATUSES } from '../runs/index.ts';

/**
 * The runner's concurrency slots as a lease sees them: a loop that waits (an approval pending, a
 * child run live) gives its slot back for the wait and takes one again before it goes on.
 */
export interface LlmSlots {
  /** The loop starts waiting: its slot is free for another run. */
  yield(): void;
  /** The wait is over: resolves when the loop holds a slot again (rejects when `signal` aborts). */
  reclaim(signal: AbortSignal): Promise<void>;
}

/**
 * The LLM runner's hold on one run: an ordinary lease, heartbeated like a worker's, every write
 * fenced by it. `signal` aborts when the lease is lost (another holder, an attempt timeout, a
 * deadline) or the run is cancelled, so the model call or tool in flight stops.
 */
export class LlmLease {
  readonly tenantId: string;
  readonly runId: string;
  readonly leaseId: string;
  readonly #store: Store;
  readonly #leases: LeaseService;
  readonly #abort = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #slots: LlmSlots | null;
  #why: string | null = null;

  constructor(deps: { store: Store; leases: LeaseService; slots?: LlmSlots }, task: { tenantId: string; runId: string; leaseId: string; heartbeatMs: number }) {
    this.#store = deps.store;
    this.#leases = deps.leases;
    this.#slots = deps.slots ?? null;
    this.tenantId = task.tenantId;
    this.runId = task.runId;
    this.leaseId = task.leaseId;
    this.#timer = setInterval(() => void this.heartbeat(), task.heartbeatMs);
    this.#timer.unref();
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Why the loop must stop (`cancelled`, `lease lost`), or null while the lease holds. */
  get lost(): string | null {
    return this.#why;
  }

  async heartbeat(): Promise<void> {
    if (this.#why) return;
    try {
      const r = await this.#leases.heartbeat(this.tenantId, this.leaseId);
      if (r.status === 'cancelled') this.#lose('the run was cancelled');
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'LEASE_LOST' || err.code === 'LEASE_NOT_FOUND')) this.#lose('the lease was lost');
      // Anything else (the database briefly away): the next beat tries again, the lease's TTL is the limit.
    }
  }

  #lose(why: string): void {
    if (this.#why) return;
    this.#why = why;
    this.#abort.abort(new Error(why));
  }

  /**
   * Runs `wait` (a long wait on something outside the loop: an approval's decision, a child run)
   * without holding a concurrency slot, so waiting loops never stop other runs from being leased
   * (100 pending approvals, or parents whose children need a slot, would otherwise hold them all).
   * The lease is still held and heartbeated meanwhile. Afterwards the loop waits for a slot again.
   */
  async waiting<T>(wait: () => Promise<T>): Promise<T> {
    if (!this.#slots) return wait();
    this.#slots.yield();
    let out: T;
    try {
      out = await wait();
    } catch (err) {
      // The loop may go on (an error it reports to the model) or end: either way it takes a slot
      // first, unless it is aborted (then it ends without one), and the wait's error stands.
      await this.#slots.reclaim(this.signal).catch(() => undefined);
      throw err;
    }
    await this.#slots.reclaim(this.signal);
    return out;
  }

  /** Appends events fenced by the lease (throws LEASE_LOST when it no longer holds the run). */
  async record(events: { type: string; data: Record<string, unknown> }[]): Promise<number[]> {
    if (events.length === 0) return [];
    try {
      return await this.#store.writer.write(async (ctx) => {
        const run = await runByLease(ctx, this.tenantId, this.leaseId, LEASED_STATUSES);
        return appendRunEvents(ctx, run, events);
      });
    } catch (err) {
      if (err instanceof DomainError && (err.code === 'LEASE_LOST' || err.code === 'LEASE_NOT_FOUND')) this.#lose('the lease was lost');
      throw err;
    }
  }

  complete(output: unknown): Promise<unknown> {
    return this.#leases.complete(this.tenantId, this.leaseId, output);
  }

  fail(failure: RunFailure): Promise<unknown> {
    return this.#leases.fail(this.tenantId, this.leaseId, failure);
  }

  /** Gives the run back to the queue at once (shutdown), not charged to its retries. */
  release(): Promise<unknown> {
    return this.#leases.release(this.tenantId, this.leaseId);
  }

  /** Stops heartbeating (the lease ends with the run, or runs out). */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Aborts the work in flight (shutdown). */
  abort(why: string): void {
    this.#lose(why);
  }
}
