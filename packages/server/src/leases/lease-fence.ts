import type { RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';

/**
 * The run a lease still holds, read inside the write, or the reason it holds none: a lease this
 * tenant never issued is 404 LEASE_NOT_FOUND; one that expired, was released or replaced, or whose
 * run left `statuses`, is 409 LEASE_LOST. The run row is locked to the commit (PostgreSQL), so
 * the status it was let through on still holds when the caller writes: nothing lands after a
 * terminal event. The same fence LeaseService applies to events and heartbeats.
 */
export async function runByLease(ctx: WriteContext, tenantId: string, leaseId: string, statuses: readonly string[]): Promise<RunsTable> {
  let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId);
  if (ctx.rowLocks) q = q.forUpdate();
  const run = await q.executeTakeFirst();
  if (run && statuses.includes(run.status)) return run;
  const attempt = await ctx.trx.selectFrom('run_attempts').select('run_id').where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).executeTakeFirst();
  if (attempt) throw new DomainError('LEASE_LOST', `lease ${leaseId} is no longer held; the call changed nothing`);
  throw new DomainError('LEASE_NOT_FOUND', `no lease ${JSON.stringify(leaseId)}`);
}
