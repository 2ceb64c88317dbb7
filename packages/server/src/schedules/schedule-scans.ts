import type { LeaderFence, SchedulesTable, Store } from '../store/index.ts';

/** Ids per IN list: far below either dialect's limit on bound parameters. */
const CHUNK = 400;
/** Slot records deleted per statement (and transaction) by the purge, and at most per pass. */
const PURGE_BATCH = 1000;
const PURGE_PASS_LIMIT = 10_000;

/** `tenant\u0000run id` of the schedules' last runs that are still live (queued, running, waiting). */
export async function liveRuns(store: Store, schedules: Pick<SchedulesTable, 'tenant_id' | 'last_run_id'>[]): Promise<Set<string>> {
  const live = new Set<string>();
  const pairs = schedules.filter((s) => s.last_run_id !== null);
  for (let i = 0; i < pairs.length; i += CHUNK) {
    const chunk = pairs.slice(i, i + CHUNK);
    const rows = await store.db
      .selectFrom('runs')
      .select(['tenant_id', 'id'])
      .where(({ eb, refTuple, tuple }) => eb(refTuple('tenant_id', 'id'), 'in', chunk.map((s) => tuple(s.tenant_id, s.last_run_id!))))
      .where('status', 'in', ['queued', 'running', 'waiting'])
      .execute();
    for (const r of rows) live.add(`${r.tenant_id}\u0000${r.id}`);
  }
  return live;
}

/**
 * Drops slot records older than `before` (a schedule's run list keeps its last days), in
 * batches. A buffered slot is kept whatever its age: its run has yet to start. Only slots far
 * behind every schedule's cursor are dropped, so no tick can want one of them again.
 */
export async function purgeSlots(store: Store, fence: LeaderFence, before: number): Promise<number> {
  let deleted = 0;
  while (deleted < PURGE_PASS_LIMIT) {
    const n = await store.writer.write(async (ctx) => {
      await fence.check(ctx.trx);
      // The purge spans every tenant: it drops whatever is old enough, by the age index.
      const r = await store
        .allTenants(ctx.trx)
        .deleteFrom('schedule_slots')
        .where(({ eb, refTuple, selectFrom }) =>
          eb(
            refTuple('tenant_id', 'schedule_id', 'slot_at', 'kind'),
            'in',
            selectFrom('schedule_slots')
              .select(['tenant_id', 'schedule_id', 'slot_at', 'kind'])
              .where('recorded_at', '<', before)
              .where('outcome', '!=', 'buffered')
              .orderBy('recorded_at')
              .limit(PURGE_BATCH)
              .$asTuple('tenant_id', 'schedule_id', 'slot_at', 'kind'),
          ),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    });
    deleted += n;
    if (n < PURGE_BATCH) break;
  }
  return deleted;
}
