import { sql, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import { eventsByTenant } from '../event-insert.ts';
import type { CommittedEvent, PendingEvent } from '../write-queue.ts';
import { CHANNEL, type PgListener } from './pg-listener.ts';

/**
 * Records a commit's events on PostgreSQL in one round trip per tenant: the statement bumps the
 * tenant's event counter (taking its row lock), inserts the events numbered from it, and sends
 * the commit's NOTIFY. The lock is held to commit, so ids become visible in id order; doing all of
 * it in one statement keeps that lock for one round trip and the commit, not three.
 */
export function pgEventWriter(listener: PgListener) {
  return async (trx: Transaction<Database>, events: PendingEvent[], wakes: Set<string>, hookVersions: Map<string, number>): Promise<CommittedEvent[]> => {
    const payload = listener.payloadFor(events, wakes);
    if (events.length === 0) {
      if (payload) await sql`SELECT pg_notify(${CHANNEL}, ${payload})`.execute(trx);
      return [];
    }
    const groups = eventsByTenant(events);
    const committed: CommittedEvent[] = [];
    for (const [i, [tenant, list]] of groups.entries()) {
      const notify = i === groups.length - 1 && payload ? sql`, pg_notify(${CHANNEL}, ${payload})` : sql``;
      const { rows } = await sql<{ base: number; hooks: number }>`
        WITH t AS (
          UPDATE tenants SET event_seq = event_seq + ${list.length} WHERE id = ${tenant} RETURNING event_seq - ${list.length} AS base, event_hooks_version AS hooks
        ), ins AS (
          INSERT INTO run_events (tenant_id, id, run_id, agent, seq, type, at, data)
          SELECT ${tenant}, t.base + e.ord, e.run_id, e.agent, e.seq, e.type, e.at, e.data
          FROM t, unnest(${list.map((e) => e.run_id)}::text[], ${list.map((e) => e.agent)}::text[], ${list.map((e) => e.seq)}::int[],
                         ${list.map((e) => e.type)}::text[], ${list.map((e) => e.at)}::bigint[], ${list.map((e) => JSON.stringify(e.data))}::text[])
               WITH ORDINALITY AS e(run_id, agent, seq, type, at, data, ord)
        )
        SELECT t.base, t.hooks${notify} FROM t`.execute(trx);
      if (rows.length === 0) throw new Error(`tenant ${tenant} does not exist`);
      hookVersions.set(tenant, Number(rows[0].hooks));
      let id = Number(rows[0].base);
      for (const e of list) committed.push({ ...e, id: ++id });
    }
    return committed;
  };
}
