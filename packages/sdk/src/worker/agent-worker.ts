import type { Task } from '@agentd/protocol';
import { sleepUntilAborted } from '../core/abort-utils.ts';
import { backoffDelayMs, parseRetryAfterMs } from '../core/retry-policy.ts';
import { APIError } from '../errors/index.ts';
import { CompletionBatcher } from './completion-batcher.ts';
import { installSignalHandlers } from './signal-handlers.ts';
import { TaskExecution } from './task-execution.ts';
import { resolveWorkerOptions, type ResolvedWorkerOptions, type WorkerOptions } from './worker-options.ts';
import { errorFields } from './worker-logger.ts';

/** The server caps `max_tasks` at 500 per lease request. */
const MAX_TASKS_PER_LEASE = 500;
/** The lease call may legitimately take `pollWaitMs`; this margin covers the round trip. */
const LEASE_TIMEOUT_MARGIN_MS = 15_000;
/** Lease failures back off up to this: an outage is noticed within seconds of its end. */
const MAX_LEASE_BACKOFF_MS = 15_000;

/**
 * Pulls runs of one agent and runs them with your handlers: long-polls for as many tasks as it
 * has free slots (plus `prefetch` held ones), heartbeats each lease, batches completions and
 * refills in the same calls, and shuts down gracefully.
 *
 * @example
 * import { Agentd } from '@agentd/sdk';
 * import { Worker } from '@agentd/sdk/worker';
 * const worker = new Worker({
 *   client: new Agentd(),
 *   agent: 'greeter',
 *   endpoints: { greet: async (input: { name: string }, ctx) => { await ctx.log('greeting'); return { text: `Hello ${input.name}` }; } },
 * });
 * await worker.run(); // until SIGTERM/SIGINT or worker.stop()
 */
export class Worker {
  readonly id: string;
  readonly #options: ResolvedWorkerOptions;
  readonly #batcher: CompletionBatcher;
  readonly #active = new Map<string, TaskExecution>();
  /** Leases whose handler is still running: what `concurrency` bounds. */
  readonly #busy = new Set<string>();
  /** Prefetched tasks waiting for a handler slot, oldest first, with what lets them start. */
  readonly #waiting: { leaseId: string; start: () => void }[] = [];
  /** Aborts the pending long-poll and backoff sleeps the moment stop() is called. */
  readonly #stopController = new AbortController();
  /** Ends the grace period early (a second signal). */
  readonly #graceController = new AbortController();
  #wakeLeaseLoop: (() => void) | undefined;
  /** The lease loop is in a long-poll: no lease call will carry an outcome until it answers. */
  #longPolling = false;
  #running: Promise<void> | undefined;
  /** Said once: a key that receives no secrets (admin, or ["*"]) is a setup mistake worth a line, not one per task. */
  #warnedWithheld = false;

  constructor(options: WorkerOptions) {
    this.#options = resolveWorkerOptions(options);
    this.id = this.#options.workerId;
    // An outcome with nothing to batch with (one task, the loop parked in its long-poll) goes at once.
    // A full batch is as many outcomes as the worker holds tasks: one completion call per refill.
    this.#batcher = new CompletionBatcher(this.#options.client, {
      alone: () => this.#longPolling && this.#active.size <= 1,
      batchSize: this.#options.concurrency + this.#options.prefetch,
    });
  }

  /** Handlers running right now. */
  get activeTasks(): number {
    return this.#active.size;
  }

  /** Runs until stopped; resolves once every handler has finished or been released. */
  run(): Promise<void> {
    this.#running ??= this.#run();
    return this.#running;
  }

  /**
   * Stops leasing at once, gives running handlers `shutdownGraceMs` to finish, then aborts and
   * releases the rest. Resolves when the worker has fully stopped.
   */
  stop(): Promise<void> {
    this.#stopController.abort();
    this.#wakeLeaseLoop?.();
    return this.#running ?? Promise.resolve();
  }

  async #run(): Promise<void> {
    const { handleSignals, logger, agent } = this.#options;
    const removeSignalHandlers = handleSignals
      ? installSignalHandlers(() => void this.stop(), () => this.#graceController.abort())
      : () => {};
    logger.info('worker started', { worker_id: this.id, agent, endpoints: Object.keys(this.#options.endpoints) });
    try {
      await this.#leaseLoop();
      await this.#drain();
    } finally {
      removeSignalHandlers();
      logger.info('worker stopped', { worker_id: this.id });
    }
  }

  get #stopping(): boolean {
    return this.#stopController.signal.aborted;
  }

  async #leaseLoop(): Promise<void> {
    const { client, agent, endpoints, concurrency, prefetch, pollWaitMs, leaseTtlMs, logger } = this.#options;
    let failures = 0;
    while (!this.#stopping) {
      // One turn first: handlers that end together (or at once, just started) hand in their
      // outcomes, so they go in one call with the next lease instead of splitting the slots
      // into cohorts that each need calls of their own.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#stopping) break;
      // Held tasks count against `concurrency + prefetch`; outcomes still being reported hold no
      // slot, but their number is bounded too.
      const held = this.#busy.size + this.#waiting.length;
      const capacity = concurrency + prefetch;
      const free = Math.min(capacity - held, 2 * capacity - this.#active.size);
      if (free <= 0) {
        await this.#slotFreed();
        continue;
      }
      const request = { agent, endpoints: Object.keys(endpoints), max_tasks: Math.min(free, MAX_TASKS_PER_LEASE), worker_id: this.id, lease_ttl_ms: leaseTtlMs };
      if (this.#batcher.pendingCount > 0) {
        // Outcomes are waiting to be reported: report them and lease what is ready in one call.
        // None ready: the next turn long-polls.
        for (const task of await this.#batcher.sendWithLease(request)) this.#start(task);
        continue;
      }
      try {
        this.#longPolling = true;
        const { tasks } = await client.worker.lease(
          { ...request, wait_ms: pollWaitMs },
          { signal: this.#stopController.signal, timeout: pollWaitMs + LEASE_TIMEOUT_MARGIN_MS, maxRetries: 0 },
        ).finally(() => (this.#longPolling = false));
        failures = 0;
        // Tasks that arrive after stop() (an answer racing the abort) get the same grace as the rest.
        for (const task of tasks) this.#start(task);
      } catch (err) {
        if (this.#stopping) break;
        const retryAfter = err instanceof APIError ? parseRetryAfterMs(err.headers) : undefined;
        const delay = retryAfter ?? backoffDelayMs(failures, { maxMs: MAX_LEASE_BACKOFF_MS });
        failures += 1;
        logger.warn('lease request failed; retrying', { delay_ms: delay, ...errorFields(err) });
        await sleepUntilAborted(delay, this.#stopController.signal);
      }
    }
  }

  #start(task: Task): void {
    if (task.secrets_withheld && !this.#warnedWithheld) {
      this.#warnedWithheld = true;
      this.#options.logger.warn('this worker receives no secrets', { reason: task.secrets_withheld.reason, message: task.secrets_withheld.message });
    }
    let slot: Promise<void> | undefined;
    if (this.#busy.size < this.#options.concurrency) this.#busy.add(task.lease_id);
    else slot = new Promise<void>((start) => this.#waiting.push({ leaseId: task.lease_id, start }));
    const execution = new TaskExecution(task, this.#options.endpoints[task.endpoint], {
      client: this.#options.client,
      batcher: this.#batcher,
      logger: this.#options.logger,
      slot,
      onHandlerDone: () => this.#slotDone(task.lease_id),
    });
    this.#active.set(task.lease_id, execution);
    void execution.done.finally(() => {
      this.#active.delete(task.lease_id);
      this.#wakeLeaseLoop?.();
    });
  }

  /** A handler ended (or a held task was given up before it started): the next held task may run. */
  #slotDone(leaseId: string): void {
    if (this.#busy.delete(leaseId)) {
      const next = this.#waiting.shift();
      if (next) {
        this.#busy.add(next.leaseId);
        next.start();
      }
    } else {
      const i = this.#waiting.findIndex((w) => w.leaseId === leaseId);
      if (i >= 0) this.#waiting.splice(i, 1)[0].start();
    }
    this.#wakeLeaseLoop?.();
  }

  /** Resolves when a slot frees up or stop() is called. */
  #slotFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.#wakeLeaseLoop = () => {
        this.#wakeLeaseLoop = undefined;
        resolve();
      };
    });
  }

  async #drain(): Promise<void> {
    const { shutdownGraceMs, logger } = this.#options;
    // Held tasks never started: give them back at once, for another worker to take.
    const held = [...this.#active.values()].filter((e) => e.waiting);
    if (held.length > 0) await Promise.all(held.map((e) => e.releaseForShutdown()));
    if (this.#active.size > 0) {
      logger.info('waiting for running tasks', { count: this.#active.size, grace_ms: shutdownGraceMs });
      // The grace sleep is cut short when every task is done (so no timer outlives stop()) or
      // by a second signal.
      const allDone = new AbortController();
      void Promise.all([...this.#active.values()].map((e) => e.done)).then(() => allDone.abort());
      await sleepUntilAborted(shutdownGraceMs, AbortSignal.any([allDone.signal, this.#graceController.signal]));
      allDone.abort();
      const leftover = [...this.#active.values()];
      if (leftover.length > 0) {
        logger.warn('grace period over; releasing unfinished tasks', { count: leftover.length });
        await Promise.all(leftover.map((e) => e.releaseForShutdown()));
        // Tasks already reporting their outcome are let through: their work is done.
        await Promise.all(leftover.filter((e) => e.phase === 'settling').map((e) => e.done));
      }
    }
    await this.#batcher.flush();
  }
}
