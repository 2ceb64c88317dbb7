import { CompiledQuery, sql, type RawBuilder, type Transaction } from 'kysely';
import type { Database } from '../db-types.ts';
import { ATTEMPT_COLUMNS, conflictClause, END_OF_ATTEMPT, inOrderOf, LEASED_COLUMNS, SUCCEEDED_COLUMNS, statusCondition, statusLiteral, type DialectQueries, type LeasedRun, type RunLeaseWrite, type RunSuccessWrite, type SucceededRun } from '../dialect-queries.ts';
import { pgRowInserter } from './pg-insert-rows.ts';
import { PREPARE } from './prepared-statements.ts';
import { StatementTemplates } from '../precompiled.ts';

/** The dialect queries on PostgreSQL (see DialectQueries). */
export function postgresQueries(): DialectQueries {
  const queries = {
    anyOf,
    tenantIs,
    insertRows: pgRowInserter(),
    leaseRuns,
    succeedRuns,
  };
  return { ...queries, statements: new StatementTemplates(queries) };
}

function anyOf(column: string, values: readonly string[]): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} = any(${sql.val(values)}::text[])`;
}

function tenantIs(tenantId: string, column = 'tenant_id'): RawBuilder<boolean> {
  return sql<boolean>`${sql.ref(column)} = ${tenantId}`;
}

/**
 * The lease UPDATE, its ids and lease ids as two array parameters: one text for every batch
 * size, so it is prepared once per connection. The open attempt is the run row's
 * (attempt_started_at beside lease_id, worker_id, attempts): no run_attempts row is written
 * until it ends, so a lease writes one row (the run's), not two.
 *
 * The tenant is checked as a join filter against a tenant column unnested beside the ids,
 * `(r.tenant_id = v.tenant_id) is true`, not as `r.tenant_id = $n`: a restriction on tenant_id
 * lets the planner reach the rows through a tenant-led index (runs_ready, runs_list) and, on a
 * table whose statistics lag its growth, it does, scanning every queued run of the tenant per
 * lease instead of one primary-key probe per id. No index serves the filter form, so it cannot
 * become the access path (test/postgres-plans.test.ts).
 */
async function leaseRuns(trx: Transaction<Database>, lease: RunLeaseWrite): Promise<LeasedRun[]> {
  const { text, params } = leaseRunsStatement(lease);
  return inOrderOf(lease.ids, (await trx.executeQuery<LeasedRun>(CompiledQuery.raw(text, params))).rows);
}

/** The lease statement's text and parameters (exported for the plan test). */
export function leaseRunsStatement(lease: RunLeaseWrite): { text: string; params: unknown[] } {
  const text = `${PREPARE}update runs as r set status = ${statusLiteral(lease.to)}, attempts = r.attempts + 1, lease_id = v.lease_id,
        lease_expires_at = $3::bigint, lease_ttl_ms = $4::bigint, attempt_deadline_at = $5::bigint + r.timeout_ms, worker_id = $6::text,
        attempt_started_at = $5::bigint, started_at = coalesce(r.started_at, $5::bigint), waiting_reason = null, updated_at = $5::bigint, last_seq = r.last_seq + 1
      from unnest($1::text[], $2::text[], $7::text[]) as v(id, lease_id, tenant_id)
      where r.id = v.id and (r.tenant_id = v.tenant_id) is true and ${statusCondition('r.status', lease.from)}
      returning ${LEASED_COLUMNS.map((c) => `r.${c}`).join(', ')}`;
  const params = [lease.ids, lease.ids.map((id) => lease.leaseIds.get(id)), lease.now + lease.leaseTtlMs, lease.leaseTtlMs, lease.now, lease.workerId, lease.ids.map(() => lease.tenantId)];
  return { text, params };
}

/**
 * The set-wise success UPDATE: ids and outputs as two array parameters (prepared once). It also
 * inserts each run's ended attempt (a writable CTE) from the open attempt the UPDATE returns
 * (its columns are not changed by it; see endedAttempt): the runs are locked since the caller's
 * read, so the lease each one returns is the one read, and the completion saves a round trip.
 * The tenant check is a join filter for the reason given at leaseRuns (here runs_list lured the
 * planner).
 */
async function succeedRuns(trx: Transaction<Database>, success: RunSuccessWrite): Promise<SucceededRun[]> {
  const { text, params } = succeedRunsStatement(success);
  return (await trx.executeQuery<SucceededRun>(CompiledQuery.raw(text, params))).rows;
}

/** The success statement's text and parameters (exported for the plan test). */
export function succeedRunsStatement(success: RunSuccessWrite): { text: string; params: unknown[] } {
  const text = `${PREPARE}with done as (
        update runs as r set status = ${statusLiteral(success.to)}, output = v.output, waiting_reason = null, waiting_since = null,
          finished_at = $3::bigint, lease_expires_at = null, updated_at = $3::bigint, last_seq = r.last_seq + 1
        from unnest($1::text[], $2::text[], $4::text[]) as v(id, output, tenant_id)
        where r.id = v.id and (r.tenant_id = v.tenant_id) is true and ${statusCondition('r.status', success.from)}
        returning ${SUCCEEDED_COLUMNS.map((c) => `r.${c}`).join(', ')}
      ), ended as (
        insert into run_attempts (${ATTEMPT_COLUMNS.join(', ')})
        select tenant_id, id, attempts, lease_id, worker_id, coalesce(attempt_started_at, $3::bigint), $3::bigint, ${statusLiteral(success.attemptOutcome)}, null
        from done where lease_id is not null${conflictClause('run_attempts', END_OF_ATTEMPT)}
      )
      select * from done`;
  const params = [success.runs.map((r) => r.id), success.runs.map((r) => r.output), success.now, success.runs.map(() => success.tenantId)];
  return { text, params };
}
