import type { Approval, Task } from '@agentd/protocol';
import type { Agentd } from '../agentd-client.ts';
import { LeaseLostError } from './abort-reasons.ts';
import { isLeaseGone } from './lease-conflict.ts';

export interface ApprovalOptions {
  prompt: string;
  /** Shown to the approver. */
  payload?: unknown;
  /** How long a person has; a duration in ms, or null (default) for no limit. */
  timeout?: number | null;
  /** What a timeout means: `reject` (default), `approve`, or `fail_run` (the run fails). */
  on_timeout?: 'reject' | 'approve' | 'fail_run';
  /** Key ids or names that may decide; empty = anyone with the approver role. */
  assignees?: string[];
  /** Distinct approvers needed (default 1); one rejection decides. */
  required_approvals?: number;
  /**
   * Names this approval within the run. Default: derived from the call's order in the handler
   * (`approval-1`, `approval-2`…), which is the same on every retry of deterministic code, so a
   * retried attempt gets the existing approval (decided, if it was) instead of asking again.
   */
  key?: string;
}

export interface ApprovalResult {
  approved: boolean;
  comment: string | null;
  reason: string | null;
  decided_by: string | null;
  approval: Approval;
}

/** How long one long-poll waits on the server; the heartbeat keeps the lease alive meanwhile. */
const POLL_WAIT_MS = 20_000;

/**
 * `ctx.approval(...)`: asks, then waits until a person (or the timeout policy) decides. The run
 * is `waiting` meanwhile. Rejects with the abort reason if the run is cancelled or the lease lost.
 */
export function createApprovalAsker(client: Agentd, task: Task, signal: AbortSignal): (opts: ApprovalOptions) => Promise<ApprovalResult> {
  let calls = 0;
  return async (opts) => {
    const key = opts.key ?? `approval-${++calls}`;
    signal.throwIfAborted();
    let approval = await fenced(() =>
      client.leases.requestApproval(
        task.lease_id,
        {
          key,
          prompt: opts.prompt,
          payload: opts.payload ?? null,
          timeout_ms: opts.timeout ?? null,
          on_timeout: opts.on_timeout,
          assignees: opts.assignees,
          required_approvals: opts.required_approvals,
        },
        { signal },
      ),
    );
    while (approval.status === 'pending') {
      signal.throwIfAborted();
      approval = await fenced(() => client.leases.waitApproval(task.lease_id, approval.id, { wait_ms: POLL_WAIT_MS }, { signal }));
    }
    return { approved: approval.approved === true, comment: approval.comment, reason: approval.reason, decided_by: approval.decided_by, approval };
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
