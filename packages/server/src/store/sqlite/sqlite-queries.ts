import { sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import { ATTEMPT_COLUMNS, END_OF_ATTEMPT, endedAttempt, inOrderOf, LEASED_COLUMNS, SUCCEEDED_COLUMNS, statusCondition, type DialectQueries, type LeasedRun, type RunLeaseWrite, type RunSuccessWrite, type SucceededRun } from '../dialect-queries.ts';
import { insertRowsSqlite } from './sqlite-insert-rows.ts';
import { precompiled, StatementTemplates } from '../precompiled.ts';

const RETURNING_LEASED = LEASED_COLUMNS.join(', ');
const RETURNING_SUCCEEDED = SUCCEEDED_COLUMNS.join(', ');

/** The dialect queries on SQLite (see DialectQueries). */
export function sqliteQueries(): DialectQueries {
  const builders = { anyOf, tenantIs, insertRows: insertRowsSqlite };
  const statements = new StatementTemplates(builders);
  return {
    ...builders,
    statements,
    leaseRuns: (trx, lease) => leaseRuns(trx, lease, statements),
    succeedRuns: (trx, success) => succeedRuns(trx, success, statements),
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
 * run_attempts row until it ends. Compiled once per set of statuses it moves from.
 */
const LEASE_RUNS = precompiled(
  (_db, p: { tenantId: string; pairs: string; to: string; now: number; expiresAt: number; leaseTtlMs: number; workerId: string | null; from: readonly string[] }) => sql<LeasedRun>`UPDATE runs SET
      status = ${p.to}, attempts = attempts + 1, lease_id = j.run_lease,
      lease_expires_at = ${p.expiresAt}, lease_ttl_ms = ${p.leaseTtlMs},
      attempt_deadline_at = ${p.now} + timeout_ms, worker_id = ${p.workerId}, attempt_started_at = ${p.now},
      started_at = coalesce(started_at, ${p.now}), waiting_reason = NULL, updated_at = ${p.now}, last_seq = last_seq + 1
    FROM (SELECT key AS run_key, value AS run_lease FROM json_each(${p.pairs})) AS j
    WHERE +runs.tenant_id = ${p.tenantId} AND runs.id = j.run_key AND ${sql.raw(statusCondition('runs.status', p.from))}
    RETURNING ${sql.raw(RETURNING_LEASED)}`,
  ['from'],
);

async function leaseRuns(trx: Transaction<Database>, lease: RunLeaseWrite, statements: StatementTemplates): Promise<LeasedRun[]> {
  const { ids, leaseIds, now } = lease;
  const pairs = JSON.stringify(Object.fromEntries(ids.map((id) => [id, leaseIds.get(id)])));
  const params = { tenantId: lease.tenantId, pairs, to: lease.to, now, expiresAt: now + lease.leaseTtlMs, leaseTtlMs: lease.leaseTtlMs, workerId: lease.workerId, from: lease.from };
  return inOrderOf(ids, await statements.rows(trx, LEASE_RUNS, params));
}

/**
 * The outputs through an UPDATE … FROM a json_each of `{run id: output}` (see LEASE_RUNS); the
 * ended attempts in one multi-row INSERT, from the open attempt the UPDATE returns (its columns
 * are not changed by it).
 */
const SUCCEED_RUNS = precompiled(
  // On the primary key: a plain tenant_id equality made SQLite walk runs_tenant_lease (5× slower).
  (_db, p: { tenantId: string; outputs: string; to: string; now: number; from: readonly string[] }) => sql<SucceededRun>`UPDATE runs SET
      status = ${p.to}, output = j.run_output, waiting_reason = NULL, waiting_since = NULL,
      finished_at = ${p.now}, lease_expires_at = NULL, updated_at = ${p.now}, last_seq = last_seq + 1
    FROM (SELECT key AS run_key, value AS run_output FROM json_each(${p.outputs})) AS j
    WHERE +runs.tenant_id = ${p.tenantId} AND runs.id = j.run_key AND ${sql.raw(statusCondition('runs.status', p.from))}
    RETURNING ${sql.raw(RETURNING_SUCCEEDED)}`,
  ['from'],
);

async function succeedRuns(trx: Transaction<Database>, success: RunSuccessWrite, statements: StatementTemplates): Promise<SucceededRun[]> {
  const { runs, now, tenantId } = success;
  const outputs = JSON.stringify(Object.fromEntries(runs.map((r) => [r.id, r.output])));
  const updated = await statements.rows(trx, SUCCEED_RUNS, { tenantId, outputs, to: success.to, now, from: success.from });
  const attempts = updated.filter((r) => r.lease_id !== null).map((r) => endedAttempt(r, { now, outcome: success.attemptOutcome, error: null }));
  if (attempts.length > 0) await insertRowsSqlite(trx, 'run_attempts', ATTEMPT_COLUMNS, attempts, END_OF_ATTEMPT);
  return updated;
}
