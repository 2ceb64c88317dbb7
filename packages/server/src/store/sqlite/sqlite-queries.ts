import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import { ATTEMPT_COLUMNS, END_OF_ATTEMPT, endedAttempt, inOrderOf, LEASED_COLUMNS, SUCCEEDED_COLUMNS, statusCondition, type DialectQueries, type LeasedRun, type RunLeaseWrite, type RunSuccessWrite, type SucceededRun } from '../dialect-queries.ts';
import { insertRowsSqlite } from './sqlite-insert-rows.ts';

const RETURNING_LEASED = LEASED_COLUMNS.join(', ');
const RETURNING_SUCCEEDED = SUCCEEDED_COLUMNS.join(', ');

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

function tenantIs(tenantId: string, column = 'tenant_id'): RawBuilder<boolean> {
  return sql<boolean>`+${sql.ref(column)} = ${tenantId}`;
}

/**
 * One UPDATE … FROM a json_each of `{run id: lease id}`: the planner walks the JSON object and
 * finds each run by its primary key, where a `CASE id WHEN … END` compared every row with every
 * branch (O(n²) in the batch). The open attempt is the run row's (attempt_started_at): no
 * run_attempts row until it ends.
 */
async function leaseRuns(trx: Transaction<Database>, lease: RunLeaseWrite): Promise<LeasedRun[]> {
  const { ids, leaseIds, now } = lease;
  const pairs = JSON.stringify(Object.fromEntries(ids.map((id) => [id, leaseIds.get(id)])));
  const { rows: updated } = await sql<LeasedRun>`UPDATE runs SET
      status = ${lease.to}, attempts = attempts + 1, lease_id = j.run_lease,
      lease_expires_at = ${now + lease.leaseTtlMs}, lease_ttl_ms = ${lease.leaseTtlMs},
      attempt_deadline_at = ${now} + timeout_ms, worker_id = ${lease.workerId}, attempt_started_at = ${now},
      started_at = coalesce(started_at, ${now}), waiting_reason = NULL, updated_at = ${now}, last_seq = last_seq + 1
    FROM (SELECT key AS run_key, value AS run_lease FROM json_each(${pairs})) AS j
    WHERE +runs.tenant_id = ${lease.tenantId} AND runs.id = j.run_key AND ${sql.raw(statusCondition('runs.status', lease.from))}
    RETURNING ${sql.raw(RETURNING_LEASED)}`.execute(trx);
  return inOrderOf(ids, updated);
}

/**
 * The outputs through an UPDATE … FROM a json_each of `{run id: output}` (see leaseRuns); the
 * ended attempts in one multi-row INSERT, from the open attempt the UPDATE returns (its columns
 * are not changed by it).
 */
async function succeedRuns(trx: Transaction<Database>, success: RunSuccessWrite): Promise<SucceededRun[]> {
  const { runs, now, tenantId } = success;
  const outputs = JSON.stringify(Object.fromEntries(runs.map((r) => [r.id, r.output])));
  // On the primary key: a plain tenant_id equality made SQLite walk runs_tenant_lease (5× slower).
  const { rows: updated } = await sql<SucceededRun>`UPDATE runs SET
      status = ${success.to}, output = j.run_output, waiting_reason = NULL, waiting_since = NULL,
      finished_at = ${now}, lease_expires_at = NULL, updated_at = ${now}, last_seq = last_seq + 1
    FROM (SELECT key AS run_key, value AS run_output FROM json_each(${outputs})) AS j
    WHERE +runs.tenant_id = ${tenantId} AND runs.id = j.run_key AND ${sql.raw(statusCondition('runs.status', success.from))}
    RETURNING ${sql.raw(RETURNING_SUCCEEDED)}`.execute(trx);
  const attempts = updated.filter((r) => r.lease_id !== null).map((r) => endedAttempt(r, { now, outcome: success.attemptOutcome, error: null }));
  if (attempts.length > 0) await insertRowsSqlite(trx, 'run_attempts', ATTEMPT_COLUMNS, attempts, END_OF_ATTEMPT);
  return updated;
}
