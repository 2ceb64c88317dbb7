import type { Task } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import { isLeaseGone } from './lease-conflict.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

/** A floor on the server-given interval, so a misconfigured TTL cannot turn into a busy loop. */
const MIN_INTERVAL_MS = 100;

export interface HeartbeatLoopOptions {
  client: Agentd;
  task: Task;
  logger: WorkerLogger;
  onCancelled: () => void;
  onLeaseLost: () => void;
}

/**
 * Extends a lease every `task.heartbeat_interval_ms` (a third of the TTL, so two beats may fail
 * before it lapses) and reports cancellation or loss. Beats are chained with setTimeout, never
 * overlapping; a failed beat is logged and the next one tries again.
 */
export class HeartbeatLoop {
  readonly #options: HeartbeatLoopOptions;
  readonly #intervalMs: number;
  /** The beat in flight, if any: aborting one costs a DOMException, so only a live beat is aborted. */
  #inFlight: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: HeartbeatLoopOptions) {
    this.#options = options;
    this.#intervalMs = Math.max(MIN_INTERVAL_MS, options.task.heartbeat_interval_ms);
  }

  start(): void {
    this.#schedule();
  }

  /** Stops beating and aborts a beat in flight; leaves no timer behind. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#inFlight?.abort();
    this.#inFlight = undefined;
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => void this.#beat(), this.#intervalMs);
  }

  async #beat(): Promise<void> {
    const { client, task, logger } = this.#options;
    const controller = new AbortController();
    this.#inFlight = controller;
    try {
      // One retry within the interval: the next beat is the real retry, and a beat that outlives
      // the interval is stale anyway.
      const result = await client.leases.heartbeat(task.lease_id, {
        signal: controller.signal,
        timeout: this.#intervalMs,
        maxRetries: 1,
      });
      if (this.#stopped) return;
      if (result.status === 'cancelled') {
        this.stop();
        this.#options.onCancelled();
        return;
      }
    } catch (err) {
      if (this.#stopped) return;
      if (isLeaseGone(err)) {
        this.stop();
        this.#options.onLeaseLost();
        return;
      }
      logger.warn('heartbeat failed; retrying at the next interval', { run_id: task.run_id, lease_id: task.lease_id, ...errorFields(err) });
    } finally {
      if (this.#inFlight === controller) this.#inFlight = undefined;
    }
    this.#schedule();
  }
}
