import type { RunAttemptsTable, RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import type { DomainError } from '../core/index.ts';
import { endedAttemptByLease } from '../runs/index.ts';
import { staleLease as staleLeaseIn, staleLeaseError } from './lease-fence.ts';

export const leaseLost = (leaseId: string): DomainError => staleLeaseError(leaseId, true);

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

/**
 * The attempt a lease began, once it has ended (how it ended tells a repeated complete or fail
 * from a stale one); undefined while it is open: the open attempt is its run row's.
 */
export async function attemptByLease(ctx: WriteContext, tenantId: string, leaseId: string): Promise<RunAttemptsTable | undefined> {
  return endedAttemptByLease(ctx.trx, tenantId, leaseId);
}

/** Why a lease no longer works: unknown to this tenant (404) or no longer the run's (409). */
export function staleLease(ctx: WriteContext, tenantId: string, leaseId: string): Promise<DomainError> {
  return staleLeaseIn(ctx.trx, { tenantId, leaseId });
}
