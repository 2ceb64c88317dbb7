/** The public face of runs/: other folders import from here only. */
export { isFinalFailure, retryDelayMs } from './backoff.ts';
export { toEvent, toRun } from './run-codec.ts';
export { runRoutes } from './run-routes.ts';
export { RunService } from './run-service.ts';
export { appendRunEvents, cancelPendingApprovals, endAttempt, transitionRun, wakeKey } from './run-writes.ts';
export { approvalRow, requestedEventData } from './run-approvals.ts';
