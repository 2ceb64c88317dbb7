import { EventType, type RetryPolicy, type Run, type RunFailure } from '@agentd/protocol';
import { schemaProblems } from '@agentd/protocol/manifest';
import type { RunsTable } from '../store/index.ts';
import { DomainError, type WriteContext } from '../store/index.ts';
import type { AgentService } from '../agents/index.ts';
import { iso } from '../core/index.ts';
import { cancelPendingApprovals, endAttempt, isFinalFailure, retryDelayMs, toRun, transitionRun, wakeKey } from '../runs/index.ts';
import { attemptByLease, leaseLost, lockedRunByLease, staleLease } from './lease-lookup.ts';

/** A worker's result for its lease, one at a time: the path every item that is not a plain success takes. */
export async function completeOp(ctx: WriteContext, agents: AgentService, tenantId: string, leaseId: string, output: unknown): Promise<Run> {
  const value = output === undefined ? null : output;
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (run && (run.status === 'running' || run.status === 'waiting')) {
    // Checked before anything is written: an invalid output leaves the run leased, unchanged.
    const ep = await agents.resolve(tenantId, run.agent, run.agent_version, run.endpoint, ctx.trx);
    if (!ep.validateOutput(value)) {
      throw new DomainError('OUTPUT_INVALID', `output does not match the schema of ${run.agent}/${run.endpoint}`, schemaProblems('output', ep.validateOutput.errors));
    }
    await cancelPendingApprovals(ctx, run, 'the run completed');
    const updated = await transitionRun(
      ctx,
      run,
      { status: ['running', 'waiting'], leaseId },
      { status: 'succeeded', output: JSON.stringify(value), waiting_reason: null, waiting_since: null, finished_at: ctx.now, lease_expires_at: null },
      { type: EventType.runSucceeded, data: { output: value, attempt: run.attempts } },
    );
    if (updated) {
      await endAttempt(ctx, run.tenant_id, leaseId, 'succeeded', null);
      return toRun(updated);
    }
  }
  // A repeated complete (its first response was lost) succeeds again and changes nothing.
  if (run && run.status === 'succeeded') {
    const attempt = await attemptByLease(ctx, tenantId, leaseId);
    if (attempt?.outcome === 'succeeded') return toRun(run);
  }
  throw await staleLease(ctx, tenantId, leaseId);
}

export async function failOp(ctx: WriteContext, random: () => number, tenantId: string, leaseId: string, failure: RunFailure): Promise<Run> {
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (!run || (run.status !== 'running' && run.status !== 'waiting')) {
    const attempt = await attemptByLease(ctx, tenantId, leaseId);
    if (attempt?.outcome === 'failed') {
      const current = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', attempt.run_id).executeTakeFirstOrThrow();
      return toRun(current); // a repeated fail: already recorded
    }
    throw await staleLease(ctx, tenantId, leaseId);
  }
  const updated = await failAttempt(ctx, random, run, failure, 'failed');
  if (!updated) throw leaseLost(leaseId);
  return toRun(updated);
}

/**
 * Ends the run's current attempt with a failure: retried with backoff, or final. Also used by
 * the sweeper for expired leases (`retryAt` now) and attempt timeouts (final → `timed_out`).
 */
export async function failAttempt(
  ctx: WriteContext,
  random: () => number,
  run: RunsTable,
  failure: RunFailure,
  outcome: 'failed' | 'lease_expired' | 'timed_out',
  opts: { immediateRetry?: boolean } = {},
): Promise<RunsTable | undefined> {
  const policy = JSON.parse(run.retry) as RetryPolicy;
  const leaseId = run.lease_id!;
  const final = isFinalFailure({ ...policy, max_attempts: run.max_attempts }, run.attempts, failure);
  let updated: RunsTable | undefined;
  if (final) {
    const timedOut = outcome === 'timed_out';
    await cancelPendingApprovals(ctx, run, 'the run ended');
    updated = await transitionRun(
      ctx,
      run,
      { status: ['running', 'waiting'], leaseId },
      { status: timedOut ? 'timed_out' : 'failed', error: JSON.stringify(failure), waiting_reason: null, waiting_since: null, finished_at: ctx.now, lease_expires_at: null },
      { type: timedOut ? EventType.runTimedOut : EventType.runFailed, data: { error: failure, attempt: run.attempts } },
    );
  } else {
    const next = ctx.now + (opts.immediateRetry ? 0 : retryDelayMs(policy, run.attempts, random));
    updated = await transitionRun(
      ctx,
      run,
      { status: ['running', 'waiting'], leaseId },
      { status: 'queued', error: JSON.stringify(failure), available_at: next, waiting_reason: null, waiting_since: null, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
      { type: EventType.runRetrying, data: { attempt: run.attempts, error: failure, next_attempt_at: iso(next) } },
    );
    ctx.wakes.add(wakeKey(run.tenant_id, run.agent));
  }
  if (updated) await endAttempt(ctx, run.tenant_id, leaseId, outcome, failure);
  return updated;
}

/** Gives a run back at once (graceful shutdown); the attempt is not charged to the retry budget. */
export async function releaseOp(ctx: WriteContext, tenantId: string, leaseId: string): Promise<Run> {
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (!run || (run.status !== 'running' && run.status !== 'waiting')) throw await staleLease(ctx, tenantId, leaseId);
  const updated = await transitionRun(
    ctx,
    run,
    { status: ['running', 'waiting'], leaseId },
    // Attempt numbers only grow; extending max_attempts keeps the budget whole instead.
    { status: 'queued', waiting_reason: null, waiting_since: null, available_at: ctx.now, max_attempts: run.max_attempts + 1, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
    { type: EventType.runQueued, data: { reason: 'released', attempt: run.attempts } },
  );
  if (!updated) throw leaseLost(leaseId);
  await endAttempt(ctx, run.tenant_id, leaseId, 'released', null);
  ctx.wakes.add(wakeKey(run.tenant_id, run.agent));
  return toRun(updated);
}
