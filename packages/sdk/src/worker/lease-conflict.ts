import { APIError } from '../errors/index.ts';

/**
 * True when the server says this lease no longer owns the run: 409 LEASE_LOST, or 404
 * LEASE_NOT_FOUND for a lease it has already forgotten. Either way, nothing sent with it counts.
 */
export function isLeaseGone(err: unknown): boolean {
  return err instanceof APIError && (err.code === 'LEASE_LOST' || err.code === 'LEASE_NOT_FOUND');
}
