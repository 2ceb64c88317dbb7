import type { RunFailure, Task } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import { ensureRunFailure } from '../failure/run-failure.ts';
import type { CompletionItem } from '../resources/resource-types.ts';
import { LeaseLostError, RunCancelledError, WorkerShutdownError } from './abort-reasons.ts';
import type { CompletionBatcher } from './completion-batcher.ts';
import { HeartbeatLoop } from './heartbeat-loop.ts';
import { LeaseEventBuffer } from './lease-event-buffer.ts';
import { createTaskContext } from './task-context.ts';
import { redactingLogger } from './task-secrets.ts';
import { createApprovalAsker } from './task-approval.ts';
import { createSignalWaiter } from './task-signals.ts';
import { createStepRunner } from './task-steps.ts';
import { createCaller } from './task-call.ts';
import type { EndpointHandler } from './worker-options.ts';
import { errorFields, type WorkerLogger } from './worker-logger.ts';

export interface TaskExecutionDeps {
  client: Agentd;
  batcher: CompletionBatcher;
  logger: WorkerLogger;
  /** Called once when the handler is finished (returned, threw or was aborted): its slot is free. */
  onHandlerDone?: () => void;
  /**
   * Resolves when the handler may start (a prefetched task waits for a slot; its heartbeats run
   * meanwhile). Absent: at once.
   */
  slot?: Promise<void>;
}

type Outcome = { output: unknown } | { failure: RunFailure };

/**
 * One leased attempt: runs the handler with heartbeats going, then reports the outcome through
 * the batcher. Phases: `running` (the handler has the lease), `settling` (reporting; shutdown
 * waits for it), `done`. After an abort the outcome is discarded, never reported: the lease
 * belongs to someone else, or the run is cancelled, or shutdown released it.
 */
export class TaskExecution {
  readonly task: Task;
  /** Resolves when the handler has returned and its outcome is reported or discarded. Never rejects. */
  readonly done: Promise<void>;
  #phase: 'running' | 'settling' | 'done' = 'running';
  readonly #controller = new AbortController();
  readonly #deps: TaskExecutionDeps;
  readonly #events: LeaseEventBuffer;
  readonly #heartbeat: HeartbeatLoop;

  constructor(task: Task, handler: EndpointHandler | undefined, deps: TaskExecutionDeps) {
    // This task's log lines never show its secret values, whatever an error message holds.
    deps = { ...deps, logger: redactingLogger(deps.logger, task.secrets) };
    this.task = task;
    this.#deps = deps;
    const lost = () => this.#abort(new LeaseLostError(task.run_id, task.lease_id));
    this.#events = new LeaseEventBuffer({ client: deps.client, leaseId: task.lease_id, logger: deps.logger, onLeaseLost: lost });
    this.#heartbeat = new HeartbeatLoop({
      client: deps.client,
      task,
      logger: deps.logger,
      onCancelled: () => this.#abort(new RunCancelledError(task.run_id)),
      onLeaseLost: lost,
    });
    this.#heartbeat.start();
    this.done = this.#run(handler).catch((err) => deps.logger.error('task execution failed unexpectedly', { run_id: task.run_id, ...errorFields(err) }));
  }

  get phase(): 'running' | 'settling' | 'done' {
    return this.#phase;
  }

  /**
   * Shutdown's grace ran out: aborts a still-running handler, sends its pending events, and
   * releases the lease so the run starts again at once elsewhere. Does nothing once settling.
   */
  async releaseForShutdown(): Promise<void> {
    if (this.#phase !== 'running') return;
    this.#abort(new WorkerShutdownError(this.task.run_id));
    await this.#events.flush();
    this.#events.close();
    try {
      await this.#deps.client.leases.release(this.task.lease_id);
    } catch (err) {
      // The lease then simply expires and the sweeper re-queues the run: slower, not lost.
      this.#deps.logger.warn('could not release the lease at shutdown', { run_id: this.task.run_id, ...errorFields(err) });
    }
  }

  #abort(reason: Error): void {
    if (this.#controller.signal.aborted || this.#phase === 'done') return;
    this.#heartbeat.stop();
    this.#controller.abort(reason);
    this.#deps.logger.info('task aborted', { run_id: this.task.run_id, reason: reason.message });
  }

  #handlerDone = false;
  /** The handler has been called (a prefetched task has not, until its slot comes). */
  #started = false;

  /** Still waiting for a handler slot (prefetched). */
  get waiting(): boolean {
    return !this.#started && this.#phase === 'running';
  }

  #releaseSlot(): void {
    if (this.#handlerDone) return;
    this.#handlerDone = true;
    this.#deps.onHandlerDone?.();
  }

  async #run(handler: EndpointHandler | undefined): Promise<void> {
    const { slot } = this.#deps;
    if (slot) {
      const signal = this.#controller.signal;
      await new Promise<void>((resolve) => {
        void slot.then(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      // Released (shutdown), cancelled or lost while it waited: the handler never starts.
      if (signal.aborted) return this.#finish();
    }
    this.#started = true;
    const outcome = await this.#invoke(handler);
    // The slot is free while the outcome is reported: leasing the next task overlaps with it.
    this.#releaseSlot();
    if (this.#controller.signal.aborted) return this.#finish();
    this.#phase = 'settling';
    try {
      // Events and findings are stored before the outcome: a completed run's findings are all there.
      await this.#events.flush();
      // A flush may have found the lease gone.
      if (!this.#controller.signal.aborted) await this.#report(outcome);
    } finally {
      this.#finish();
    }
  }

  async #invoke(handler: EndpointHandler | undefined): Promise<Outcome> {
    const { task } = this;
    if (!handler) {
      return { failure: { type: 'no_handler', message: `This worker has no handler for endpoint ${task.endpoint}.`, non_retryable: false, details: null } };
    }
    try {
      const { client } = this.#deps;
      const abort = this.#controller.signal;
      const ctx = createTaskContext(task, abort, this.#events, {
        approval: createApprovalAsker(client, task, abort),
        waitForSignal: createSignalWaiter(client, task, abort),
        step: createStepRunner(client, task, abort),
        call: createCaller(client, task, abort),
      });
      const output = (await handler(task.input, ctx)) ?? null;
      return checkSerializable(output);
    } catch (err) {
      return { failure: ensureRunFailure(err) };
    }
  }

  async #report(outcome: Outcome): Promise<void> {
    const { task } = this;
    const item: CompletionItem = 'output' in outcome ? { lease_id: task.lease_id, output: outcome.output } : { lease_id: task.lease_id, error: outcome.failure };
    const result = await this.#submit(item);
    if (!result || result.ok) return;
    if ('output' in outcome && result.error.code === 'OUTPUT_INVALID') {
      // The run stays leased after OUTPUT_INVALID; retrying would produce the same output, so
      // the run fails for good and says why.
      const failure: RunFailure = { type: 'output_invalid', message: result.error.message, non_retryable: true, details: result.error.details ?? null };
      const second = await this.#submit({ lease_id: task.lease_id, error: failure });
      if (second && !second.ok) this.#refused(second.error);
      return;
    }
    this.#refused(result.error);
  }

  async #submit(item: CompletionItem) {
    try {
      return await this.#deps.batcher.submit(item);
    } catch (err) {
      this.#deps.logger.error('could not report the outcome; the lease will lapse and the run be retried', {
        run_id: this.task.run_id,
        ...errorFields(err),
      });
      return undefined;
    }
  }

  #refused(error: { code: string; message: string }): void {
    this.#deps.logger.warn('the server refused the outcome', { run_id: this.task.run_id, lease_id: this.task.lease_id, code: error.code, message: error.message });
  }

  #finish(): void {
    this.#releaseSlot();
    this.#phase = 'done';
    this.#heartbeat.stop();
    this.#events.close();
  }
}

/** Output that JSON cannot carry would sink the whole completion batch, so it fails this run alone. */
function checkSerializable(output: unknown): Outcome {
  try {
    JSON.stringify(output);
    return { output };
  } catch (err) {
    return { failure: { type: 'output_unserializable', message: `The output is not JSON-serialisable: ${(err as Error).message}`, non_retryable: true, details: null } };
  }
}
