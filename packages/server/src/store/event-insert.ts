import type { Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import type { DialectQueries } from './dialect-queries.ts';
import { precompiled } from './precompiled.ts';
import type { CommittedEvent, PendingEvent } from './write-queue.ts';

/**
 * A commit's events grouped by tenant, tenants in sorted order: every writer takes the tenant
 * rows' counter locks in the same order, so two commits can never wait on each other's.
 */
export function eventsByTenant(events: PendingEvent[]): [string, PendingEvent[]][] {
  const byTenant = new Map<string, PendingEvent[]>();
  for (const e of events) {
    const list = byTenant.get(e.tenant_id);
    if (list) list.push(e);
    else byTenant.set(e.tenant_id, [e]);
  }
  return [...byTenant.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Takes `count` event ids from the tenant's counter, under its row lock (see insertEvents). */
const TAKE_EVENT_IDS = precompiled(
  (db, p: { tenant: string; count: number }) =>
    db
      .updateTable('tenants')
      .set((eb) => ({ event_seq: eb('event_seq', '+', p.count) }))
      .where('id', '=', p.tenant)
      .returning(['event_seq', 'event_hooks_version']),
);

/** Rows per INSERT: 8 parameters each keeps us far below both dialects' parameter limits. */
const EVENT_INSERT_CHUNK = 500;
const EVENT_COLUMNS = ['tenant_id', 'id', 'run_id', 'agent', 'seq', 'type', 'at', 'data'] as const;

/**
 * Assigns tenant-wide ids from the tenant row's counter and inserts the events. The counter's
 * row lock is held to commit, so ids become visible in id order: a tenant stream that reads
 * `id > cursor` can never skip an event that commits later with a smaller id.
 */
export async function insertEvents(trx: Transaction<Database>, events: PendingEvent[], queries: DialectQueries, hookVersions?: Map<string, number>): Promise<CommittedEvent[]> {
  if (events.length === 0) return [];
  const committed: CommittedEvent[] = [];
  for (const [tenant, list] of eventsByTenant(events)) {
    const [row] = await queries.statements.rows(trx, TAKE_EVENT_IDS, { tenant, count: list.length });
    if (!row) throw new Error(`no tenant row for ${tenant}`);
    hookVersions?.set(tenant, Number(row.event_hooks_version ?? 0));
    let id = Number(row.event_seq) - list.length;
    for (const e of list) committed.push({ ...e, id: ++id });
  }
  for (let i = 0; i < committed.length; i += EVENT_INSERT_CHUNK) {
    const chunk = committed.slice(i, i + EVENT_INSERT_CHUNK).map((e) => ({ tenant_id: e.tenant_id, id: e.id, run_id: e.run_id, agent: e.agent, seq: e.seq, type: e.type, at: e.at, data: JSON.stringify(e.data) }));
    await queries.insertRows(trx, 'run_events', EVENT_COLUMNS, chunk);
  }
  return committed;
}
