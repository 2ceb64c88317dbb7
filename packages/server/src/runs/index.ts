/** The public face of runs/: other folders import from here only. */
export { toEvent, toRun } from './run-codec.ts';
export { runRoutes } from './run-routes.ts';
export { RunService } from './run-service.ts';
export { appendRunEvents, wakeKey } from './run-event-append.ts';
export { approvalRow, requestedEventData } from './run-approvals.ts';
export { ACTIVE_STATUSES, canTransition, holdsLease, LEASED_STATUSES, RUN_TRANSITIONS } from './run-transitions.ts';
export type { FailureOutcome, RunTransitionName, RunTransitionSpec } from './run-transitions.ts';
export { admitRun, admitSessionRun, cancelRun, chargeParkedTime, isParked, parkRun, unparkRun, completeRun, expireRun, extendLease, failAttempt, rejectRun, releaseRun, resumeFromSignal, resumeRun, waitForApproval, waitForSignal, completeWorkflow, failWorkflow, waitForGates, resumeWorkflow } from './run-state-machine.ts';
export { attemptsOfRun, endedAttemptByLease, leaseAttempts, leaseAttemptsQuery, leaseIssued, openAttempt } from './run-attempts.ts';
export type { LeaseAttempt } from './run-attempts.ts';
export { completeRuns, createRuns, leaseRuns, startWorkflowRun } from './run-batch-transitions.ts';
export type { CompletingRun, NewRun } from './run-batch-transitions.ts';
export { updateRunControls, type RunControlChange } from './run-controls.ts';
export { afterRunEnded, resumeAwaitingParent, ROOT_ENVELOPE, waitForChild } from './run-tree.ts';
export type { AfterWrite, PreparedRun, RunCreateInput } from './run-service.ts';
