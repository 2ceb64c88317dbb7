import type { RetryPolicy, RunFailure } from '@agentd/protocol';
import type { RunsTable, WriteContext } from '../store/index.ts';
import { isFinalFailure, retryDelayMs } from './backoff.ts';
import { applyTransition } from './run-transition-writes.ts';
import { canTransition, type FailureOutcome } from './run-transitions.ts';

// The run state machine, one run at a time: each function performs one transition of the table
// in run-transitions.ts inside the caller's write operation, on the run row the caller read
// (locked to the commit on PostgreSQL). Each answers the updated row, or `undefined` when the
// table does not allow the transition from the run's status or a concurrent one won; then it
// wrote nothing. The set-wise transitions (create, lease, batched completion) are in
// run-batch-transitions.ts.

/** heartbeat: extends the lease of a running or waiting run; no event, no status change. Answers the new expiry. */
export async function extendLease(ctx: WriteContext, run: RunsTable, leaseId: string): Promise<number | undefined> {
  if (!canTransition('heartbeat', run.status)) return undefined;
  const expires = ctx.now + (run.lease_ttl_ms ?? 30_000);
  await ctx.trx.updateTable('runs').set({ lease_expires_at: expires }).where('tenant_id', '=', run.tenant_id).where('id', '=', run.id).where('lease_id', '=', leaseId).execute();
  return expires;
}

/** complete: the worker's output (validated by the caller), fenced by its lease. */
export function completeRun(ctx: WriteContext, run: RunsTable, leaseId: string, output: unknown): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'complete', run, { set: { output: JSON.stringify(output) }, data: { output, attempt: run.attempts }, leaseId });
}

/**
 * Ends the run's current attempt with a failure: `retry` with backoff (at once with
 * `immediateRetry`: an expired lease), or, once the retry policy is spent or the failure is
 * non-retryable, `fail` (`timeOut` for an attempt past its timeout). Fenced by the run's lease.
 */
export function failAttempt(
  ctx: WriteContext,
  run: RunsTable,
  failure: RunFailure,
  opts: { outcome: FailureOutcome; random: () => number; immediateRetry?: boolean },
): Promise<RunsTable | undefined> {
  const policy = JSON.parse(run.retry) as RetryPolicy;
  const fence = { leaseId: run.lease_id!, failure, cause: opts.outcome };
  const error = JSON.stringify(failure);
  if (isFinalFailure({ ...policy, max_attempts: run.max_attempts }, run.attempts, failure)) {
    return applyTransition(ctx, opts.outcome === 'timed_out' ? 'timeOut' : 'fail', run, { ...fence, set: { error }, data: { error: failure, attempt: run.attempts } });
  }
  const next = ctx.now + (opts.immediateRetry ? 0 : retryDelayMs(policy, run.attempts, opts.random));
  return applyTransition(ctx, 'retry', run, {
    ...fence,
    set: { error, available_at: next, waiting_reason: null, waiting_since: null, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
    data: { attempt: run.attempts, error: failure, next_attempt_at: ctx.wire.iso(next) },
  });
}

/** release: the worker gives the run back (graceful shutdown); the attempt is not charged to the retry budget. */
export function releaseRun(ctx: WriteContext, run: RunsTable, leaseId: string): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'release', run, {
    leaseId,
    // Attempt numbers only grow; extending max_attempts keeps the budget whole instead.
    set: { waiting_reason: null, waiting_since: null, available_at: ctx.now, max_attempts: run.max_attempts + 1, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
    data: { reason: 'released', attempt: run.attempts },
  });
}

/** wait: the worker asked for an approval; it keeps heartbeating its lease, the attempt timeout pauses. */
export function waitForApproval(ctx: WriteContext, run: RunsTable, leaseId: string, approvalId: string): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'wait', run, { leaseId, set: { waiting_reason: 'approval', waiting_since: ctx.now }, data: { reason: 'approval', approval_id: approvalId } });
}

/** resume: the worker's approvals are settled; its attempt goes on, its deadline moved by the time it waited. */
export function resumeRun(ctx: WriteContext, run: RunsTable, approvalId: string): Promise<RunsTable | undefined> {
  const paused = run.waiting_since ? ctx.now - run.waiting_since : 0;
  return applyTransition(ctx, 'resume', run, {
    set: { waiting_reason: null, waiting_since: null, attempt_deadline_at: run.attempt_deadline_at === null ? null : run.attempt_deadline_at + paused },
    data: { approval_id: approvalId },
  });
}

/** wait (for a signal): the worker waits for a signal none of which is pending; it keeps heartbeating its lease, the attempt timeout pauses. */
export function waitForSignal(ctx: WriteContext, run: RunsTable, leaseId: string, name: string): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'wait', run, { leaseId, set: { waiting_reason: 'signal', waiting_since: ctx.now }, data: { reason: 'signal', signal: name } });
}

/**
 * resume (from a signal wait): the signal the worker waited for was consumed (`signalId`), or its
 * wait timed out (`null`); its attempt goes on, its deadline moved by the time it waited.
 */
export function resumeFromSignal(ctx: WriteContext, run: RunsTable, name: string, signalId: string | null): Promise<RunsTable | undefined> {
  const paused = run.waiting_since ? ctx.now - run.waiting_since : 0;
  return applyTransition(ctx, 'resume', run, {
    set: { waiting_reason: null, waiting_since: null, attempt_deadline_at: run.attempt_deadline_at === null ? null : run.attempt_deadline_at + paused },
    data: signalId === null ? { reason: 'signal', signal: name, timed_out: true } : { reason: 'signal', signal: name, signal_id: signalId },
  });
}

/**
 * park: the LLM loop holding `leaseId` waits on something outside it (reason `approval`: a tool
 * call's approval; `child`: an agent tool's child run) and gives its lease up meanwhile: the
 * attempt ends (`parked`, not charged to the retry budget), the run is `waiting` with no lease,
 * so no holder, heartbeat or timer stands for it. What it waited for unparks it (unparkRun); the
 * next holder rebuilds the loop from the run's events. Its deadline still applies (expire), and
 * the attempt timeout pauses, as for a worker's wait.
 */
export function parkRun(ctx: WriteContext, run: RunsTable, leaseId: string, reason: 'approval' | 'child', data: Record<string, unknown>): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'park', run, {
    leaseId,
    set: { waiting_reason: reason, waiting_since: run.waiting_since ?? ctx.now, max_attempts: run.max_attempts + 1, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
    data: { reason, parked: true, attempt: run.attempts, ...data },
  });
}

/** Whether `run` is parked: waiting with no lease on it, for an approval or a child (a manifest approval's hold is not). */
export function isParked(run: Pick<RunsTable, 'status' | 'lease_id' | 'waiting_reason'>): boolean {
  return run.status === 'waiting' && run.lease_id === null && (run.waiting_reason === 'approval' || run.waiting_reason === 'child');
}

/** unpark: what a parked run waited for happened (its approvals settled, its last live child ended); it joins the queue. */
export function unparkRun(ctx: WriteContext, run: RunsTable, data: Record<string, unknown>): Promise<RunsTable | undefined> {
  if (!isParked(run)) return Promise.resolve(undefined);
  return applyTransition(ctx, 'unpark', run, { set: { waiting_reason: null, waiting_since: null, available_at: ctx.now }, data: { parked: true, ...data } });
}

/**
 * The attempt timeout of a run that was parked pauses while it waits, as a worker's does: the
 * attempt leasing it after a park would get a whole timeout anew, so the time worked by the
 * parked attempts just before it (back to the last one that ended otherwise) is taken off its
 * deadline, fenced by its lease. Changes no status. Answers the deadline it set, if it set one.
 */
export async function chargeParkedTime(ctx: WriteContext, run: RunsTable, leaseId: string): Promise<number | undefined> {
  if (run.attempts <= 1 || run.attempt_deadline_at === null) return undefined;
  const before = await ctx.trx
    .selectFrom('run_attempts')
    .select(['outcome', 'started_at', 'ended_at'])
    .where('tenant_id', '=', run.tenant_id)
    .where('run_id', '=', run.id)
    .where('attempt', '<', run.attempts)
    .orderBy('attempt', 'desc')
    .limit(1000)
    .execute();
  let worked = 0;
  for (const a of before) {
    if (a.outcome !== 'parked') break;
    worked += Math.max(0, (a.ended_at ?? a.started_at) - a.started_at);
  }
  if (worked === 0) return undefined;
  const deadline = run.attempt_deadline_at - worked;
  await ctx.trx.updateTable('runs').set({ attempt_deadline_at: deadline }).where('tenant_id', '=', run.tenant_id).where('id', '=', run.id).where('lease_id', '=', leaseId).execute();
  return deadline;
}

/** admit: the manifest approval a new run waited on was granted; the run joins the queue. */
export function admitRun(ctx: WriteContext, run: RunsTable, approvalId: string): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'admit', run, { set: { waiting_reason: null, waiting_since: null, available_at: ctx.now }, data: { approval_id: approvalId } });
}

/** admit: a run held for its session (an enqueued message) goes to the queue: the message before it ended. */
export function admitSessionRun(ctx: WriteContext, run: RunsTable): Promise<RunsTable | undefined> {
  if (run.waiting_reason !== 'session') return Promise.resolve(undefined);
  return applyTransition(ctx, 'admit', run, { set: { waiting_reason: null, waiting_since: null, available_at: ctx.now }, data: { reason: 'session' } });
}

/** reject: an approval the run needed was rejected or expired (`fail_run`); the run fails for good. */
export function rejectRun(ctx: WriteContext, run: RunsTable, failure: RunFailure): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'reject', run, { failure, set: { error: JSON.stringify(failure) }, data: { error: failure, attempt: run.attempts } });
}

/**
 * cancel: a running attempt keeps its lease id on the row, so its next heartbeat answers
 * `cancelled` instead of `LEASE_LOST`.
 */
export function cancelRun(ctx: WriteContext, run: RunsTable, reason: string | null): Promise<RunsTable | undefined> {
  const failure: RunFailure = { type: 'cancelled', message: reason ?? 'the run was cancelled', non_retryable: true, details: null };
  return applyTransition(ctx, 'cancel', run, { failure, set: { error: JSON.stringify(failure) }, data: { reason } });
}

/** expire: the run passed its deadline (checked by the caller) and ends `timed_out`. */
export function expireRun(ctx: WriteContext, run: RunsTable): Promise<RunsTable | undefined> {
  const failure: RunFailure = { type: 'deadline_exceeded', message: 'the run passed its deadline', non_retryable: true, details: null };
  return applyTransition(ctx, 'expire', run, { failure, set: { error: JSON.stringify(failure) }, data: { error: failure } });
}

// A workflow run's own transitions: the workflow driver (workflows/) decides them; the run holds
// no lease, so none is fenced by one, and no attempt is begun or ended.

/** complete, for a workflow run: every step is done; `output` is the workflow's. */
export function completeWorkflow(ctx: WriteContext, run: RunsTable, output: unknown): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'complete', run, { set: { output: JSON.stringify(output) }, data: { output } });
}

/** fail, for a workflow run: a step failed for good (the failure names it). */
export function failWorkflow(ctx: WriteContext, run: RunsTable, failure: RunFailure): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'fail', run, { set: { error: JSON.stringify(failure) }, data: { error: failure }, cause: 'failed' });
}

/** wait, for a workflow run whose only live steps are gates: approvals (reason `approval`), signal waits (`signal`), timers (`sleep`). */
export function waitForGates(ctx: WriteContext, run: RunsTable, reason: 'approval' | 'signal' | 'sleep', steps: string[]): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'wait', run, { set: { waiting_reason: reason, waiting_since: ctx.now }, data: { reason, steps } });
}

/** resume, for a workflow run that waited at its gates and now runs a step again. */
export function resumeWorkflow(ctx: WriteContext, run: RunsTable, step: string): Promise<RunsTable | undefined> {
  return applyTransition(ctx, 'resume', run, { set: { waiting_reason: null, waiting_since: null }, data: { reason: run.waiting_reason, step } });
}
