import { EventType, type RetryPolicy } from '@agentd/protocol';
import type { RunsTable, WriteContext } from '../store/index.ts';
import { ACTIVE_STATUSES } from './run-transitions.ts';

/** What a live control sets: the fields given change, the others stay. `deadline_at: null` clears the deadline. */
export interface RunControlChange {
  max_attempts?: number;
  retry?: RetryPolicy;
  deadline_at?: number | null;
  priority?: number;
}

type Changed = Record<string, { old: unknown; new: unknown }>;

/**
 * A live control (`PATCH /v1/runs/{id}`), validated by the caller against `run` as it read it
 * (locked on PostgreSQL): writes the fields, bumps `generation` and records `run.updated` with
 * each changed field's old and new value. No status changes, so this is no transition of the
 * table: a compare-and-set on the generation and on the live statuses makes a concurrent change
 * or a run that just ended lose cleanly (`undefined`; nothing written). Every accepted change
 * bumps the generation, even one that sets the values already there, so a second request based
 * on the same generation is refused whatever it says.
 */
export async function updateRunControls(ctx: WriteContext, run: RunsTable, change: RunControlChange): Promise<RunsTable | undefined> {
  const changed: Changed = {};
  const note = (field: string, old: unknown, now: unknown) => {
    if (JSON.stringify(old) !== JSON.stringify(now)) changed[field] = { old, new: now };
  };
  const policy = JSON.parse(run.retry) as RetryPolicy;
  if (change.max_attempts !== undefined) note('max_attempts', run.max_attempts, change.max_attempts);
  let retry: string | undefined;
  if (change.retry !== undefined || change.max_attempts !== undefined) {
    // The run's policy keeps its max_attempts in step with the column (the column is what counts).
    const next = { ...policy, ...change.retry, max_attempts: change.max_attempts ?? run.max_attempts };
    retry = JSON.stringify(next);
    const { max_attempts: _a, ...oldRest } = policy;
    const { max_attempts: _b, ...newRest } = next;
    if (change.retry !== undefined) note('retry', oldRest, newRest);
  }
  if (change.deadline_at !== undefined) note('deadline_at', ctx.wire.isoOrNull(run.deadline_at), ctx.wire.isoOrNull(change.deadline_at));
  if (change.priority !== undefined) note('priority', run.priority, change.priority);
  const updated = await ctx.trx
    .updateTable('runs')
    // Fields left undefined are not written (Kysely skips them); a null deadline clears it.
    .set((eb) => ({
      max_attempts: change.max_attempts,
      retry,
      deadline_at: change.deadline_at,
      priority: change.priority,
      generation: eb('generation', '+', 1),
      last_seq: eb('last_seq', '+', 1),
      updated_at: ctx.now,
    }))
    .where('tenant_id', '=', run.tenant_id)
    .where('id', '=', run.id)
    .where('generation', '=', run.generation)
    .where('status', 'in', ACTIVE_STATUSES)
    .returningAll()
    .executeTakeFirst();
  if (!updated) return undefined;
  ctx.events.push({ tenant_id: run.tenant_id, run_id: run.id, agent: run.agent, seq: updated.last_seq, type: EventType.runUpdated, at: ctx.now, data: { generation: updated.generation, changes: changed } });
  return updated;
}
