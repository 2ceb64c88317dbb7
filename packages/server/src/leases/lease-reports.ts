import { isWorkerEventType, type HeartbeatResult } from '@agentd/protocol';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { appendRunEvents, extendLease, holdsLease } from '../runs/index.ts';
import { lockedRunByLease, staleLease } from './lease-lookup.ts';

// What a worker sends while it holds a lease: heartbeats, which keep the lease and tell the
// worker its run was cancelled, and the events of the run in progress.

export async function heartbeatOp(ctx: WriteContext, tenantId: string, leaseId: string): Promise<HeartbeatResult> {
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (run?.status === 'cancelled') return { lease_id: leaseId, run_id: run.id, status: 'cancelled', lease_expires_at: ctx.wire.iso(ctx.now) };
  const expires = run ? await extendLease(ctx, run, leaseId) : undefined;
  if (!run || expires === undefined) throw await staleLease(ctx, tenantId, leaseId);
  return { lease_id: leaseId, run_id: run.id, status: 'active', lease_expires_at: ctx.wire.iso(expires) };
}

export type WorkerEvent = { type: string; data?: Record<string, unknown> };

/** Refuses, before any write, an event type a worker may not send. */
export function checkWorkerEvents(events: WorkerEvent[]): void {
  events.forEach((e, i) => {
    if (!isWorkerEventType(e.type)) {
      throw new DomainError('VALIDATION_ERROR', `event type ${JSON.stringify(e.type)} is not one a worker may send`, [
        { path: `events.${i}.type`, message: 'must be run.log, run.progress, run.output.delta or custom.<name>' },
      ]);
    }
  });
}

export async function appendEventsOp(ctx: WriteContext, tenantId: string, leaseId: string, events: WorkerEvent[]): Promise<number[]> {
  const run = await lockedRunByLease(ctx, tenantId, leaseId);
  if (!run || !holdsLease(run.status)) throw await staleLease(ctx, tenantId, leaseId);
  return appendRunEvents(ctx, run, events.map((e) => ({ type: e.type, data: e.data ?? {} })));
}
