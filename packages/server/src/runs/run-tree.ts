import { RunStatus, type RunFailure } from '@agentd/protocol';
import type { EndedChild, RunsTable, WriteContext } from '../store/index.ts';
import { applyTransition } from './run-transition-writes.ts';
import { isParked, unparkRun } from './run-state-machine.ts';
import { ACTIVE_STATUSES, canTransition } from './run-transitions.ts';

// Run trees (child runs, ctx.call): what the state machine does to a tree when one of its runs
// ends, and the two transitions a parent makes while it awaits its children (`wait` with reason
// `child`, `resume` once the last one ended). Every status change goes through applyTransition.

/** The call envelope of a root run (no parent, depth 0); its root_run_id is its own id, set by the creator. */
export const ROOT_ENVELOPE = {
  parent_run_id: null,
  root_run_id: null,
  caller_agent: null,
  depth: 0,
  call_key: null,
  step: null,
  kind: 'agent',
  child_count: 0,
  session_id: null,
} as const satisfies Pick<RunsTable, 'parent_run_id' | 'root_run_id' | 'caller_agent' | 'depth' | 'call_key' | 'step' | 'kind' | 'child_count' | 'session_id'>;

/** What the state machine needs of a run that just ended to know whether its tree must hear of it. */
export type EndedRun = Pick<RunsTable, 'id' | 'tenant_id' | 'parent_run_id' | 'child_count' | 'session_id'> & Partial<Pick<RunsTable, 'kind' | 'status'>>;

/**
 * Called by every transition into a terminal status, in its transaction, after the terminal
 * event: a run that ever made children cancels the ones still live (parent-close policy: nothing
 * is left to receive their results), and a run with a parent tells the registered
 * `ctx.runHooks.childEnded` (the parent's resume, the workflow runtime), and a session's run tells
 * `ctx.runHooks.sessionRunEnded`. A run with none of these
 * costs nothing: both facts come with the row the transition wrote (the batched completion's
 * RETURNING carries them).
 */
export async function afterRunEnded(ctx: WriteContext, run: EndedRun): Promise<void> {
  if (run.child_count > 0) await cancelLiveChildren(ctx, run);
  // A workflow run ends only through applyTransition, whose row carries kind and status.
  if (run.kind === 'workflow' && run.status !== undefined) for (const hook of ctx.runHooks.workflowEnded) await hook(ctx, { id: run.id, tenant_id: run.tenant_id, status: run.status });
  // A session's message: its reply appended, the next enqueued message admitted (sessions/).
  if (run.session_id !== null) for (const hook of ctx.runHooks.sessionRunEnded) await hook(ctx, { id: run.id, tenant_id: run.tenant_id, session_id: run.session_id });
  if (run.parent_run_id === null || ctx.runHooks.childEnded.length === 0) return;
  // Re-read in this transaction: the set-wise completion returns only the ids it needs.
  const child = await ctx.trx
    .selectFrom('runs')
    .select(['id', 'tenant_id', 'agent', 'status', 'parent_run_id', 'root_run_id', 'call_key', 'step'])
    .where('tenant_id', '=', run.tenant_id)
    .where('id', '=', run.id)
    .executeTakeFirstOrThrow();
  const ended: EndedChild = { ...child, parent_run_id: run.parent_run_id };
  for (const hook of ctx.runHooks.childEnded) await hook(ctx, ended);
}

/**
 * cancel, cascaded: the live children of `parent` (which just ended) are cancelled in the same
 * write, each of them cascading to its own. Children are locked in id order, so two cascades
 * over one tree take their locks in the same order.
 */
async function cancelLiveChildren(ctx: WriteContext, parent: EndedRun): Promise<void> {
  let q = ctx.trx
    .selectFrom('runs')
    .selectAll()
    .where('tenant_id', '=', parent.tenant_id)
    .where('parent_run_id', '=', parent.id)
    .where('status', 'in', ACTIVE_STATUSES)
    .orderBy('id');
  if (ctx.rowLocks) q = q.forUpdate();
  const reason = `the parent run ${parent.id} ended`;
  const failure: RunFailure = { type: 'cancelled', message: reason, non_retryable: true, details: { parent_run_id: parent.id } };
  for (const child of await q.execute()) {
    await applyTransition(ctx, 'cancel', child, { failure, set: { error: JSON.stringify(failure) }, data: { reason, parent_run_id: parent.id } });
  }
}

/** wait (reason `child`): the parent awaits a live child; it keeps its lease and heartbeats, its attempt timeout pauses. A run already waiting stays as it is. */
export function waitForChild(ctx: WriteContext, parent: RunsTable, leaseId: string, childId: string): Promise<RunsTable | undefined> {
  if (!canTransition('wait', parent.status)) return Promise.resolve(undefined);
  return applyTransition(ctx, 'wait', parent, { leaseId, set: { waiting_reason: 'child', waiting_since: ctx.now }, data: { reason: 'child', child_run_id: childId } });
}

/**
 * The ctx.call resume (a `childEnded` hook): a parent waiting with reason `child` goes back to
 * `running` once none of its children is live, its attempt deadline moved by the time it waited.
 * The parent is locked after the child (the caller holds the child): every writer of a tree
 * locks the deeper run first, but a cascade, which goes downwards; PostgreSQL's deadlock
 * detection and the write queue's one re-run settle that rare crossing.
 */
export async function resumeAwaitingParent(ctx: WriteContext, child: EndedChild): Promise<void> {
  let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', child.tenant_id).where('id', '=', child.parent_run_id);
  if (ctx.rowLocks) q = q.forUpdate();
  const parent = await q.executeTakeFirst();
  if (!parent || parent.status !== RunStatus.waiting || parent.waiting_reason !== 'child') return;
  const live = await ctx.trx
    .selectFrom('runs')
    .select('id')
    .where('tenant_id', '=', parent.tenant_id)
    .where('parent_run_id', '=', parent.id)
    .where('status', 'in', ACTIVE_STATUSES)
    .limit(1)
    .executeTakeFirst();
  if (live) return;
  // An LLM loop parked on its child holds no lease: it goes back to the queue, and its next holder rebuilds from its events.
  if (isParked(parent)) {
    await unparkRun(ctx, parent, { reason: 'child', child_run_id: child.id, child_status: child.status });
    return;
  }
  const paused = parent.waiting_since ? ctx.now - parent.waiting_since : 0;
  await applyTransition(ctx, 'resume', parent, {
    set: { waiting_reason: null, waiting_since: null, attempt_deadline_at: parent.attempt_deadline_at === null ? null : parent.attempt_deadline_at + paused },
    data: { reason: 'child', child_run_id: child.id, child_status: child.status },
  });
}
