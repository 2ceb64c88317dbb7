import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database, RunAttemptsTable } from '../db-types.ts';
import { inOrderOf, LEASED_COLUMNS, SUCCEEDED_COLUMNS, statusCondition, type DialectQueries, type LeasedRun, type RunLeaseWrite, type RunSuccessWrite, type SucceededRun } from '../dialect-queries.ts';
import { insertRowsSqlite } from './sqlite-insert-rows.ts';

const ATTEMPT_COLUMNS = ['tenant_id', 'run_id', 'attempt', 'lease_id', 'worker_id', 'started_at', 'ended_at', 'outcome', 'error'] as const;

/** The dialect queries on SQLite (see DialectQueries). */
export function sqliteQueries(): DialectQueries {
  return {
    anyOf,
    tenantIs,
    insertRows: insertRowsSqlite,
    leaseRuns,
    succeedRuns,
  };
}

function anyOf(column: string, values: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} in (${sql.join(values.map((v) => sql.val(v)))})`;
}

function tenantIs(tenantId: string): RawBuilder<boolean> {
  return sql<boolean>`+${sql.ref('tenant_id')} = ${tenantId}`;
}

/** Each run gets its own lease id through a CASE; the attempts follow in a multi-row INSERT. */
async function leaseRuns(trx: Transaction<Database>, lease: RunLeaseWrite): Promise<LeasedRun[]> {
  const { ids, leaseIds, now } = lease;
  const updated = await trx
    .updateTable('runs')
    .set((eb) => ({
      status: lease.to,
      attempts: eb('attempts', '+', 1),
      lease_id: sql<string>`CASE id ${sql.join(
        ids.map((id) => sql`WHEN ${id} THEN ${leaseIds.get(id)}`),
        sql` `,
      )} END`,
      lease_expires_at: now + lease.leaseTtlMs,
      lease_ttl_ms: lease.leaseTtlMs,
      attempt_deadline_at: sql<number>`${now} + timeout_ms`,
      worker_id: lease.workerId,
      started_at: sql<number>`coalesce(started_at, ${now})`,
      waiting_reason: null,
      updated_at: now,
      last_seq: eb('last_seq', '+', 1),
    }))
    .where(tenantIs(lease.tenantId)) // kept off runs_ready, see DialectQueries.tenantIs
    .where('id', 'in', ids)
    .where(sql.raw<boolean>(statusCondition('status', lease.from)))
    .returning(LEASED_COLUMNS)
    .execute();
  inOrderOf(ids, updated);
  const attempts: RunAttemptsTable[] = updated.map((run) => ({
    tenant_id: lease.tenantId, run_id: run.id, attempt: run.attempts, lease_id: run.lease_id!, worker_id: lease.workerId, started_at: now, ended_at: null, outcome: lease.attemptOutcome, error: null,
  }));
  await insertRowsSqlite(trx, 'run_attempts', ATTEMPT_COLUMNS, attempts);
  return updated;
}

/** The outputs through a CASE on the primary key; the attempts in a second UPDATE. */
async function succeedRuns(trx: Transaction<Database>, success: RunSuccessWrite): Promise<SucceededRun[]> {
  const { runs, now, tenantId } = success;
  const updated = await trx
    .updateTable('runs')
    .set((eb) => ({
      status: success.to,
      output: sql<string>`CASE id ${sql.join(
        runs.map((r) => sql`WHEN ${r.id} THEN ${r.output}`),
        sql` `,
      )} END`,
      waiting_reason: null,
      waiting_since: null,
      finished_at: now,
      lease_expires_at: null,
      updated_at: now,
      last_seq: eb('last_seq', '+', 1),
    }))
    // On the primary key: a plain tenant_id equality made SQLite walk runs_tenant_lease (5× slower).
    .where(tenantIs(tenantId))
    .where('id', 'in', runs.map((r) => r.id))
    .where(sql.raw<boolean>(statusCondition('status', success.from)))
    .returning(SUCCEEDED_COLUMNS)
    .execute();
  const done = new Set(updated.map((r) => r.id));
  await trx
    .updateTable('run_attempts')
    .set({ ended_at: now, outcome: success.attemptOutcome, error: null })
    .where('tenant_id', '=', tenantId)
    .where(anyOf('lease_id', runs.filter((r) => done.has(r.id)).map((r) => r.leaseId)))
    .where('outcome', '=', 'running')
    .execute();
  return updated;
}
