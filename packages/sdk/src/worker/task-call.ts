import { TERMINAL_STATUSES, type Run, type RunFailure, type RunStatus, type Task } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import { AgentdError } from '../errors/index.ts';
import { LeaseLostError } from './abort-reasons.ts';
import { isLeaseGone } from './lease-conflict.ts';

export interface CallOptions {
  /**
   * Names this call within the run. Default: derived from the call's order in the handler
   * (`call-1`, `call-2`…), the same on every retry of deterministic code, so a retried attempt
   * gets the child its earlier attempt started (finished or not) instead of starting another.
   */
  key?: string;
  /** Stored on the child run. */
  metadata?: Record<string, unknown>;
  /** The child's deadline (the parent's wins when it is earlier). */
  deadline?: Date | string;
}

/**
 * `ctx.call(...)` rejects with this when the child run ended other than `succeeded`. Retrying
 * the parent would find the same child ended the same way, so the failure it makes is
 * non-retryable; catch it to handle the child's failure yourself.
 */
export class ChildRunFailed extends AgentdError {
  override name = 'ChildRunFailed';
  readonly type = 'child_run_failed';
  readonly non_retryable = true;
  readonly childRunId: string;
  readonly status: RunStatus;
  /** The child's failure as it recorded it (null if it recorded none). */
  readonly failure: RunFailure | null;
  /** What the parent's own failure carries when this is not caught. */
  readonly details: { child_run_id: string; agent: string; endpoint: string; status: RunStatus; failure: RunFailure | null };

  constructor(child: Run) {
    super(`child run ${child.id} (${child.agent}/${child.endpoint}) ended ${child.status}${child.error ? `: ${child.error.message}` : ''}`);
    this.childRunId = child.id;
    this.status = child.status;
    this.failure = child.error;
    this.details = { child_run_id: child.id, agent: child.agent, endpoint: child.endpoint, status: child.status, failure: child.error };
  }
}

/** How long one long-poll waits on the server; the heartbeat keeps the lease alive meanwhile. */
const POLL_WAIT_MS = 20_000;

export type TaskCall = (agent: string, endpoint: string, input?: unknown, opts?: CallOptions) => Promise<unknown>;

/**
 * `ctx.call(...)`: starts a child run through the lease, then waits until it ends. The run is
 * `waiting` (reason `child`) meanwhile. Resolves to the child's output; rejects with
 * ChildRunFailed, or with the abort reason if the run is cancelled or the lease lost.
 */
export function createCaller(client: Agentd, task: Task, signal: AbortSignal): TaskCall {
  let calls = 0;
  return async (agent, endpoint, input, opts = {}) => {
    const key = opts.key ?? `call-${++calls}`;
    signal.throwIfAborted();
    const deadline = opts.deadline instanceof Date ? opts.deadline.toISOString() : opts.deadline;
    let child = await fenced(() => client.leases.call(task.lease_id, { agent, endpoint, input: input ?? null, key, metadata: opts.metadata, deadline }, { signal }));
    while (!TERMINAL_STATUSES.has(child.status)) {
      signal.throwIfAborted();
      child = await fenced(() => client.leases.waitCall(task.lease_id, key, { wait_ms: POLL_WAIT_MS }, { signal }));
    }
    signal.throwIfAborted();
    if (child.status === 'succeeded') return child.output;
    throw new ChildRunFailed(child);
  };

  async function fenced<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      if (isLeaseGone(err)) throw new LeaseLostError(task.run_id, task.lease_id);
      throw err;
    }
  }
}
