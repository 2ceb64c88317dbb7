import type { RunsTable, SignalsTable, WriteContext } from '../store/index.ts';

/**
 * Consumes, inside the caller's write, the signal a wait gets: the one this wait (`consumer`, its
 * key within the run) consumed already, when an earlier attempt waited at the same place and
 * took one; else the oldest unconsumed signal of `name` for the run, marked consumed by
 * `consumer`. `undefined`: none is pending, and nothing was written. The caller holds the run
 * row (locked on PostgreSQL), so two waits never take the same signal; the unique index
 * signals_consumer keeps one signal per wait whatever happens.
 *
 * The one way a signal is consumed: the worker's wait (SignalService.waitForLease) and the
 * workflow runtime's `wait: {signal}` steps call it, each in the transaction that resumes what
 * waited, so a consumed signal and the resumed wait commit together or not at all.
 */
export async function consumeSignal(ctx: WriteContext, run: Pick<RunsTable, 'tenant_id' | 'id'>, wait: { name: string; consumer: string }): Promise<SignalsTable | undefined> {
  const taken = await ctx.trx
    .selectFrom('signals')
    .selectAll()
    .where('tenant_id', '=', run.tenant_id)
    .where('run_id', '=', run.id)
    .where('consumed_by', '=', wait.consumer)
    .executeTakeFirst();
  if (taken) return taken;
  const oldest = await ctx.trx
    .selectFrom('signals')
    .select('id')
    .where('tenant_id', '=', run.tenant_id)
    .where('run_id', '=', run.id)
    .where('name', '=', wait.name)
    .where('consumed_at', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  if (!oldest) return undefined;
  return ctx.trx
    .updateTable('signals')
    .set({ consumed_at: ctx.now, consumed_by: wait.consumer })
    .where('tenant_id', '=', run.tenant_id)
    .where('id', '=', oldest.id)
    .where('consumed_at', 'is', null)
    .returningAll()
    .executeTakeFirstOrThrow();
}
