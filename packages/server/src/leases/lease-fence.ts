import type { Kysely, Transaction } from 'kysely';
import type { Database, RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { leaseIssued } from '../runs/index.ts';

/**
 * The one error for a lease that no longer works. A lease this tenant issued (an attempt names
 * it) that expired, was released or replaced, or whose run moved on is 409 LEASE_LOST: the
 * worker must stop, another attempt owns the run. One this tenant never issued is 404
 * LEASE_NOT_FOUND. Either way the call changed nothing.
 */
export function staleLeaseError(leaseId: string, issued: boolean): DomainError {
  return issued ? new DomainError('LEASE_LOST', `lease ${leaseId} is no longer held; the call changed nothing`) : new DomainError('LEASE_NOT_FOUND', `no lease ${JSON.stringify(leaseId)}`);
}

/**
 * staleLeaseError for a lease whose run no longer holds it, told apart by whether it was issued
 * (a run names it, or an ended attempt: runs/run-attempts.ts): read in the write operation's
 * `trx`, or `store.db` outside one. `runId` narrows it to one run (a lease of another run is
 * then not found).
 */
export async function staleLease(db: Kysely<Database> | Transaction<Database>, lease: { tenantId: string; leaseId: string; runId?: string }): Promise<DomainError> {
  return staleLeaseError(lease.leaseId, await leaseIssued(db, lease));
}

/**
 * The run a lease still holds, read inside the write, or the reason it holds none (staleLease).
 * The run row is locked to the commit (PostgreSQL), so the status it was let through on still
 * holds when the caller writes: nothing lands after a terminal event. The same fence
 * LeaseService applies to events and heartbeats.
 */
export async function runByLease(ctx: WriteContext, tenantId: string, leaseId: string, statuses: readonly string[]): Promise<RunsTable> {
  let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId);
  if (ctx.rowLocks) q = q.forUpdate();
  const run = await q.executeTakeFirst();
  if (run && statuses.includes(run.status)) return run;
  throw await staleLease(ctx.trx, { tenantId, leaseId });
}
