/** The public face of leases/: other folders import from here only. */
export { runByLease, staleLease, staleLeaseError } from './lease-fence.ts';
export { LeaseService } from './lease-service.ts';
export { workerRoutes } from './worker-routes.ts';
export { scrubForLease } from './worker-scrubbing.ts';
export { workerScopeHook } from './worker-scope.ts';
