import { sql } from 'kysely';
import type { RunFailure } from '@agentd/protocol';
import type { RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';

/**
 * The few SQL operations that move a run between states. Each bumps `last_seq` in the same
 * UPDATE that changes the state and records the event with that seq, so events are gap-free and
 * never disagree with the row.
 */
export async function transitionRun(
  ctx: WriteContext,
  run: RunsTable,
  guard: { status: string[]; leaseId?: string },
  set: Partial<RunsTable>,
  event: { type: string; data: Record<string, unknown> },
): Promise<RunsTable | undefined> {
  let q = ctx.trx
    .updateTable('runs')
    .set((eb) => ({ ...set, updated_at: ctx.now, last_seq: eb('last_seq', '+', 1) }))
    .where('tenant_id', '=', run.tenant_id)
    .where('id', '=', run.id)
    .where('status', 'in', guard.status);
  if (guard.leaseId !== undefined) q = q.where('lease_id', '=', guard.leaseId);
  // A compare-and-set: the guard makes a concurrent transition lose cleanly instead of overwriting.
  const updated = await q.returningAll().executeTakeFirst();
  if (!updated) return undefined;
  ctx.events.push({ tenant_id: run.tenant_id, run_id: run.id, agent: run.agent, seq: updated.last_seq, type: event.type, at: ctx.now, data: event.data });
  return updated;
}

/** Appends events that change no state (logs, progress, custom), reserving their seqs at once. */
export async function appendRunEvents(ctx: WriteContext, run: Pick<RunsTable, 'id' | 'tenant_id' | 'agent'>, events: { type: string; data: Record<string, unknown> }[]): Promise<number[]> {
  const updated = await ctx.trx
    .updateTable('runs')
    .set((eb) => ({ last_seq: eb('last_seq', '+', events.length), updated_at: ctx.now }))
    .where('tenant_id', '=', run.tenant_id)
    .where('id', '=', run.id)
    .returning('last_seq')
    .executeTakeFirstOrThrow();
  const first = updated.last_seq - events.length + 1;
  return events.map((e, i) => {
    ctx.events.push({ tenant_id: run.tenant_id, run_id: run.id, agent: run.agent, seq: first + i, type: e.type, at: ctx.now, data: e.data });
    return first + i;
  });
}

export async function endAttempt(ctx: WriteContext, tenantId: string, leaseId: string, outcome: string, error: RunFailure | null): Promise<void> {
  await ctx.trx
    .updateTable('run_attempts')
    .set({ ended_at: ctx.now, outcome, error: error ? JSON.stringify(error) : null })
    .where('tenant_id', '=', tenantId)
    .where('lease_id', '=', leaseId)
    .where('outcome', '=', 'running')
    .execute();
}

export const wakeKey = (tenantId: string, agent: string): string => `${tenantId}\u0000${agent}`;

/**
 * Settles a run's pending approvals as `cancelled` (the run is ending). Call it before the
 * terminal transition, so the terminal event stays the run's last.
 */
export async function cancelPendingApprovals(ctx: WriteContext, run: RunsTable, reason: string): Promise<void> {
  const pending = await ctx.trx
    .updateTable('approvals')
    .set({ status: 'cancelled', reason, decided_at: ctx.now, decided_by: 'system' })
    .where('tenant_id', '=', run.tenant_id)
    .where('run_id', '=', run.id)
    .where(sql<boolean>`status = 'pending'`) // a literal, so the partial index approvals_run_pending applies
    .returning(['id'])
    .execute();
  if (pending.length === 0) return;
  await appendRunEvents(
    ctx,
    run,
    pending.map((a) => ({ type: 'approval.decided', data: { approval_id: a.id, status: 'cancelled', approved: false, decided_by: 'system', reason } })),
  );
}
