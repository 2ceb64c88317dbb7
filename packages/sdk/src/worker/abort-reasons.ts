import { AgentdError } from '../errors/index.ts';

/**
 * Why a handler's `ctx.signal` aborted: `signal.reason` is one of these, so a handler (or its
 * logs) can tell "the user cancelled" from "another worker owns this run now" from "shutdown".
 */
export type TaskAbortCode = 'RUN_CANCELLED' | 'LEASE_LOST' | 'WORKER_SHUTDOWN';

export class TaskAbortedError extends AgentdError {
  override name = 'TaskAbortedError';
  readonly code: TaskAbortCode;
  constructor(code: TaskAbortCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A heartbeat answered `status: "cancelled"`: the run was cancelled; stop and abandon it. */
export class RunCancelledError extends TaskAbortedError {
  override name = 'RunCancelledError';
  constructor(runId: string) {
    super('RUN_CANCELLED', `Run ${runId} was cancelled.`);
  }
}

/** The lease expired or was replaced (409 LEASE_LOST): another attempt owns the run now. */
export class LeaseLostError extends TaskAbortedError {
  override name = 'LeaseLostError';
  constructor(runId: string, leaseId: string) {
    super('LEASE_LOST', `The lease ${leaseId} on run ${runId} was lost; the result would be refused.`);
  }
}

/** The worker stopped and the grace period ran out; the run was released to start again. */
export class WorkerShutdownError extends TaskAbortedError {
  override name = 'WorkerShutdownError';
  constructor(runId: string) {
    super('WORKER_SHUTDOWN', `The worker shut down before run ${runId} finished; it was released.`);
  }
}
