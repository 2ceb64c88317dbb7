import type { RunFailure } from '@agentd/protocol';
import { DomainError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { runByLease, type LeaseService } from '../leases/index.ts';
import { appendRunEvents, chargeParkedTime, LEASED_STATUSES } from '../runs/index.ts';

/**
 * Thrown by a tool call whose wait the run was parked for (a pending approval, a live child run):
 * the lease is already given up, in the commit that parked the run, so the loop just ends. The
 * approval's decision or the child's end puts the run back in the queue, and the holder that
 * leases it next rebuilds the loop from the run's events and goes on at that call.
 */
export class LoopParked extends Error {
  readonly reason: 'approval' | 'child';
  constructor(reason: 'approval' | 'child') {
    super(`the run was parked until its ${reason === 'approval' ? 'approval is decided' : 'child run ends'}`);
    this.reason = reason;
  }
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
  #why: string | null = null;

  constructor(deps: { store: Store; leases: LeaseService }, task: { tenantId: string; runId: string; leaseId: string; heartbeatMs: number }) {
    this.#store = deps.store;
    this.#leases = deps.leases;
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
   * After a park: the attempt's timeout is what the loop may work, not wait, so the time the
   * attempts before this one worked since the last failure (parked ones) is taken off this
   * attempt's deadline (see chargeParkedTime).
   */
  async chargeParkedTime(): Promise<void> {
    await this.#store.writer.write(async (ctx) => chargeParkedTime(ctx, await runByLease(ctx, this.tenantId, this.leaseId, LEASED_STATUSES), this.leaseId));
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
