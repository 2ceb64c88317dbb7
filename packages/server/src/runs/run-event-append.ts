import type { RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';

/**
 * Appends events that change no state (logs, progress, findings, approval requests and
 * decisions), reserving their seqs at once: `last_seq` is bumped in the same UPDATE, so events
 * are gap-free and never disagree with the row. A run's status changes only through the run
 * state machine (run-state-machine.ts).
 */
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

/** The key a queue's pollers listen on (`queue:<key>`): a tenant's runs of one agent. */
export const wakeKey = (tenantId: string, agent: string): string => `${tenantId}\u0000${agent}`;
