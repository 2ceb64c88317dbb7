import type { RunAttemptsTable, RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';

export const leaseLost = (leaseId: string): DomainError => new DomainError('LEASE_LOST', `lease ${leaseId} is no longer held; the call changed nothing`);

/**
 * The run a lease names, locked to the commit: the status this call decides on (running, not
 * yet cancelled or completed by a concurrent transaction) still holds when it writes, so no
 * event lands after a run's terminal one.
 */
export async function lockedRunByLease(ctx: WriteContext, tenantId: string, leaseId: string): Promise<RunsTable | undefined> {
  let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId);
  if (ctx.rowLocks) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function attemptByLease(ctx: WriteContext, tenantId: string, leaseId: string): Promise<RunAttemptsTable | undefined> {
  return ctx.trx.selectFrom('run_attempts').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).executeTakeFirst();
}

/** Why a lease no longer works: unknown to this tenant (404) or no longer the run's (409). */
export async function staleLease(ctx: WriteContext, tenantId: string, leaseId: string): Promise<DomainError> {
  const attempt = await attemptByLease(ctx, tenantId, leaseId);
  return attempt ? leaseLost(leaseId) : new DomainError('LEASE_NOT_FOUND', `no lease ${JSON.stringify(leaseId)}`);
}
