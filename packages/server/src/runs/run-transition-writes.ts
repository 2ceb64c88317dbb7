import { sql } from 'kysely';
import { isTerminal, type RunFailure } from '@agentd/protocol';
import type { RunsTable, WriteContext } from '../store/index.ts';
import { appendRunEvents, wakeKey } from './run-event-append.ts';
import { afterRunEnded } from './run-tree.ts';
import { endAttempt, openAttempt } from './run-attempts.ts';
import { RUN_TRANSITIONS, canTransition, terminalFields, type FailureOutcome, type RunTransitionName, type RunTransitionSpec } from './run-transitions.ts';

/** What a caller adds to a transition of the table: its own fields, its event's data, its fence. */
export interface TransitionWrite {
  /** Fields the transition writes besides its status (and the terminal fields, see terminalFields). */
  set: Partial<RunsTable>;
  data: Record<string, unknown>;
  /** Fenced: the run must still hold this lease. */
  leaseId?: string;
  /** The failure that caused it: kept on the attempt it ends. */
  failure?: RunFailure;
  /** For an attempt that ends with its cause's outcome (`retry`, `fail`). */
  cause?: FailureOutcome;
}

/**
 * Performs transition `name` of the table (one that changes the status) on `run` as the caller
 * read it (locked on PostgreSQL), in this order: nothing if the table does not allow it from the
 * run's status; the run's pending approvals settled, if it settles them; the status changed by a
 * compare-and-set that bumps `last_seq` and records the event with that seq; the attempt ended
 * (its run_attempts row inserted, from the run's open attempt as read);
 * the queue woken when the run goes back to it. `undefined`: the transition is not legal from
 * here, or the compare-and-set lost (a concurrent transition won).
 */
export async function applyTransition(ctx: WriteContext, name: RunTransitionName, run: RunsTable, write: TransitionWrite): Promise<RunsTable | undefined> {
  const spec: RunTransitionSpec = RUN_TRANSITIONS[name];
  const { to, event } = spec;
  if (to === null || event === null) throw new Error(`${name} changes no status`);
  if (!canTransition(name, run.status)) return undefined;
  // The attempt this transition ends, if the run holds one: its run_attempts row is inserted from `run` below.
  const ends = spec.attempt !== null && 'ends' in spec.attempt && openAttempt(run) !== null ? spec.attempt.ends : null;
  if (spec.settlesApprovals !== null) await cancelPendingApprovals(ctx, run, spec.settlesApprovals);
  let q = ctx.trx
    .updateTable('runs')
    .set((eb) => ({ ...write.set, ...terminalFields(to, ctx.now), status: to, updated_at: ctx.now, last_seq: eb('last_seq', '+', 1) }))
    .where('tenant_id', '=', run.tenant_id)
    .where('id', '=', run.id)
    .where('status', 'in', spec.from);
  if (write.leaseId !== undefined) q = q.where('lease_id', '=', write.leaseId);
  // The attempt is ended from `run`: it must still be the run's (else its row would be written twice, or a newer one lost).
  else if (spec.attempt !== null && 'ends' in spec.attempt) q = run.lease_id === null ? q.where('lease_id', 'is', null) : q.where('lease_id', '=', run.lease_id);
  // A compare-and-set: the guard makes a concurrent transition lose cleanly instead of overwriting.
  const updated = await q.returningAll().executeTakeFirst();
  if (!updated) return undefined;
  ctx.events.push({ tenant_id: run.tenant_id, run_id: run.id, agent: run.agent, seq: updated.last_seq, type: event, at: ctx.now, data: write.data });
  if (ends !== null) {
    const outcome = ends === 'cause' ? write.cause : ends;
    if (outcome === undefined) throw new Error(`${name} ends the attempt with its cause's outcome: none given`);
    await endAttempt(ctx, run, outcome, write.failure ? JSON.stringify(write.failure) : null);
  }
  if (to === 'queued') ctx.wakes.add(wakeKey(run.tenant_id, run.agent));
  // The run's tree hears of its end in this same write (cascade, parent's resume, hooks).
  if (isTerminal(to)) await afterRunEnded(ctx, updated);
  return updated;
}

/** The `approval.decided` event of an approval the system cancelled because its run ended. */
export function approvalCancelled(approvalId: string, reason: string): { type: string; data: Record<string, unknown> } {
  return { type: 'approval.decided', data: { approval_id: approvalId, status: 'cancelled', approved: false, decided_by: 'system', reason } };
}

/**
 * Settles a run's pending approvals as `cancelled` (the run is ending). Before the terminal
 * transition, so the terminal event stays the run's last.
 */
async function cancelPendingApprovals(ctx: WriteContext, run: RunsTable, reason: string): Promise<void> {
  const pending = await ctx.trx
    .updateTable('approvals')
    .set({ status: 'cancelled', reason, decided_at: ctx.now, decided_by: 'system' })
    .where('tenant_id', '=', run.tenant_id)
    .where('run_id', '=', run.id)
    .where(sql<boolean>`status = 'pending'`) // a literal, so the partial index approvals_run_pending applies
    .returning(['id'])
    .execute();
  if (pending.length === 0) return;
  await appendRunEvents(ctx, run, pending.map((a) => approvalCancelled(a.id, reason)));
}
