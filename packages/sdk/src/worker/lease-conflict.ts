import { APIError } from '../errors/index.ts';
import { LeaseLostError } from './abort-reasons.ts';

/**
 * True when the server says this lease no longer owns the run: 409 LEASE_LOST, or 404
 * LEASE_NOT_FOUND for a lease it has already forgotten. Either way, nothing sent with it counts.
 */
export function isLeaseGone(err: unknown): boolean {
  return err instanceof APIError && (err.code === 'LEASE_LOST' || err.code === 'LEASE_NOT_FOUND');
}

/**
 * Runs a lease-fenced call for a handler: when the task was aborted meanwhile, rejects with the
 * abort reason (cancelled, lease lost, shutdown); a lease the server no longer honours is a
 * LeaseLostError; anything else as it came.
 */
export async function fencedCall<T>(task: { run_id: string; lease_id: string }, signal: AbortSignal, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    if (isLeaseGone(err)) throw new LeaseLostError(task.run_id, task.lease_id);
    throw err;
  }
}
