import { sql, type Transaction } from 'kysely';
import type { Database, Store } from '../store/index.ts';

/** A delivery a sender holds a lease on. */
export interface ClaimedDelivery {
  tenant_id: string;
  id: string;
  webhook_id: string;
  event_id: number;
  run_id: string;
  seq: number;
  event_type: string;
  attempts: number;
  max_attempts: number;
  lease_id: string;
}

/**
 * Takes a lease on up to `limit` due deliveries, in one statement: the lease is the row's
 * `lease_id` (the fencing token of its outcome) and its `next_attempt_at` moved to when the lease
 * runs out. Nobody else sees the row as due until then, and if this node dies, it is due again
 * then, with no sweeper needed. On PostgreSQL the candidates are locked with `FOR UPDATE SKIP
 * LOCKED`, so nodes claiming at once take different rows instead of queueing on each other; on
 * SQLite the one writer runs claims one after the other. Either way the UPDATE re-checks that the
 * row is still pending and due, so no two claims ever hold one delivery.
 */
export async function claimDue(store: Store, trx: Transaction<Database>, input: { now: number; leaseId: string; leaseUntil: number; limit: number }): Promise<ClaimedDelivery[]> {
  const pick = store.capabilities.skipLocked
    ? sql`${dueSql(input.now)} LIMIT ${input.limit} FOR UPDATE OF d SKIP LOCKED`
    : sql`${dueSql(input.now)} LIMIT ${input.limit}`;
  // The claim spans tenants on purpose: a node delivers every tenant's queue.
  const { rows } = await sql<ClaimedDelivery>`
    WITH c AS (${pick})
    UPDATE webhook_deliveries SET lease_id = ${input.leaseId}, next_attempt_at = ${input.leaseUntil}, updated_at = ${input.now}
    FROM c
    WHERE tenant_id = c.c_tenant AND id = c.c_id AND status = 'pending' AND next_attempt_at <= ${input.now}
    RETURNING tenant_id, id, webhook_id, event_id, run_id, seq, event_type, attempts, max_attempts, lease_id`.execute(store.allTenants(trx));
  return rows.map((r) => ({ ...r, event_id: Number(r.event_id), seq: Number(r.seq), attempts: Number(r.attempts), max_attempts: Number(r.max_attempts) }));
}

/**
 * The deliveries that may be sent now: pending, due, and first in line of their (subscription,
 * run) — no pending delivery of the same run to the same subscription has a smaller seq, so a
 * run's events reach a receiver in seq order (the next waits until the previous succeeded or was
 * given up).
 */
function dueSql(now: number) {
  return sql`
  SELECT d.tenant_id AS c_tenant, d.id AS c_id FROM webhook_deliveries d
  WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}
    AND NOT EXISTS (
      SELECT 1 FROM webhook_deliveries p
      WHERE p.tenant_id = d.tenant_id AND p.webhook_id = d.webhook_id AND p.run_id = d.run_id
        AND p.status = 'pending' AND p.seq < d.seq
    )
  ORDER BY d.next_attempt_at`;
}
