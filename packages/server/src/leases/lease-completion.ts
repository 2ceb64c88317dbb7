import type { Run, RunFailure } from '@agentd/protocol';
import { schemaProblems } from '@agentd/protocol/manifest';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import { canTransition, completeRun, failAttempt, holdsLease, releaseRun, toRun } from '../runs/index.ts';
import { attemptByLease, leaseLost, lockedRunByLease, staleLease } from './lease-lookup.ts';

// A worker's results one lease at a time: the path every item of a batched completion that is
// not a plain success takes too. The transitions are the run state machine's.

export async function completeOp(ctx: WriteContext, agents: AgentService, tenantId: string, leaseId: string, output: unknown): Promise<Run> {
  const value = output === undefined ? null : output;
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (run && canTransition('complete', run.status)) {
    // Checked before anything is written: an invalid output leaves the run leased, unchanged.
    const ep = await agents.resolve({ tenantId, agent: run.agent, version: run.agent_version, endpoint: run.endpoint, db: ctx.trx });
    if (!ep.validateOutput(value)) {
      throw new DomainError('OUTPUT_INVALID', `output does not match the schema of ${run.agent}/${run.endpoint}`, schemaProblems('output', ep.validateOutput.errors));
    }
    const updated = await completeRun(ctx, run, leaseId, value);
    if (updated) return toRun(updated, ctx.wire);
  }
  // A repeated complete (its first response was lost) succeeds again and changes nothing.
  if (run && run.status === 'succeeded') {
    const attempt = await attemptByLease(ctx, tenantId, leaseId);
    if (attempt?.outcome === 'succeeded') return toRun(run, ctx.wire);
  }
  throw await staleLease(ctx, tenantId, leaseId);
}

export async function failOp(ctx: WriteContext, random: () => number, tenantId: string, leaseId: string, failure: RunFailure): Promise<Run> {
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (!run || !holdsLease(run.status)) {
    const attempt = await attemptByLease(ctx, tenantId, leaseId);
    if (attempt?.outcome === 'failed') {
      const current = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', attempt.run_id).executeTakeFirstOrThrow();
      return toRun(current, ctx.wire); // a repeated fail: already recorded
    }
    throw await staleLease(ctx, tenantId, leaseId);
  }
  const updated = await failAttempt(ctx, run, failure, { outcome: 'failed', random });
  if (!updated) throw leaseLost(leaseId);
  return toRun(updated, ctx.wire);
}

/** Gives a run back at once (graceful shutdown); the attempt is not charged to the retry budget. */
export async function releaseOp(ctx: WriteContext, tenantId: string, leaseId: string): Promise<Run> {
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (!run || !canTransition('release', run.status)) throw await staleLease(ctx, tenantId, leaseId);
  const updated = await releaseRun(ctx, run, leaseId);
  if (!updated) throw leaseLost(leaseId);
  return toRun(updated, ctx.wire);
}
