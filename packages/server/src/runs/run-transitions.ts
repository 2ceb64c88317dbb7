import { EventType, isTerminal, RunStatus } from '@agentd/protocol';
import type { RunsTable } from '../store/index.ts';

/**
 * Every transition of a run, declared once: the statuses it may start from, the status it ends
 * in, the event it records, the pending approvals it settles and what it does to the attempt.
 * The functions of run-state-machine.ts and run-batch-transitions.ts perform them, and the
 * set-wise SQL of the dialects (`store.queries.leaseRuns`, `succeedRuns`) is handed its statuses
 * from here, so no legality is written out twice. Nothing else writes a run's status
 * (test/run-status-writes.test.ts). ARCHITECTURE.md's lifecycle, as a table:
 *
 *   create    —                          → queued     run.queued
 *   start     —                          → running    run.started     (a workflow run: queued and started in one commit, never leased)
 *   hold      queued                     → waiting    run.waiting     (created behind a manifest approval)
 *   lease     queued                     → running    run.started     begins an attempt
 *   heartbeat running, waiting           → (same)     —               extends the lease
 *   wait      running                    → waiting    run.waiting     (a worker's approval, its wait for a signal; a workflow at its approval gates)
 *   resume    waiting                    → running    run.resumed     (the worker's approvals settled, or its signal consumed / its wait timed out)
 *   park      running, waiting           → waiting    run.waiting     ends the attempt (parked): the LLM loop waits holding no lease
 *   unpark    waiting                    → queued     run.resumed     (what a parked run waited for happened: it is leased again)
 *   admit     waiting                    → queued     run.resumed     (the manifest approval granted)
 *   retry     running, waiting           → queued     run.retrying    ends the attempt
 *   release   running, waiting           → queued     run.queued      ends the attempt (released)
 *   complete  running, waiting           → succeeded  run.succeeded   settles approvals, ends the attempt
 *   fail      running, waiting           → failed     run.failed      settles approvals, ends the attempt
 *   timeOut   running, waiting           → timed_out  run.timed_out   settles approvals, ends the attempt
 *   reject    queued, running, waiting   → failed     run.failed      settles approvals, ends the attempt (an approval said no)
 *   cancel    queued, running, waiting   → cancelled  run.cancelled   settles approvals, ends the attempt
 *   expire    queued, running, waiting   → timed_out  run.timed_out   settles approvals, ends the attempt (deadline)
 *
 * An expired lease or an attempt past its timeout is `retry`, or `fail` / `timeOut` once the
 * retry policy is spent. Terminal statuses are in no `from`: they never change. Every
 * transition into one settles the run's pending approvals first, so none outlives its run and
 * the terminal event stays the run's last.
 */
export interface RunTransitionSpec {
  /** The statuses the run may be in: checked before anything is written, and the compare-and-set's guard. Empty: the run is new. */
  from: readonly RunStatus[];
  /** The status afterwards; `null`: unchanged. */
  to: RunStatus | null;
  /** The event recorded with the change (its seq bumped in the same UPDATE); `null`: none. */
  event: EventType | null;
  /** Pending approvals of the run are cancelled first, with this reason, so the terminal event stays last; `null`: left alone. */
  settlesApprovals: string | null;
  /**
   * The run's live attempt: `begins` one (outcome `running`), `ends` it with this outcome (if the
   * run holds one), or with the outcome of the failure that caused the transition (`cause`).
   */
  attempt: { begins: 'running' } | { ends: AttemptOutcome | 'cause' } | null;
}

export type AttemptOutcome = 'succeeded' | 'failed' | 'lease_expired' | 'timed_out' | 'released' | 'parked' | 'cancelled';

/** The outcomes of a failed attempt: what `retry`, `fail` and `timeOut` end the attempt with. */
export type FailureOutcome = 'failed' | 'lease_expired' | 'timed_out';

/** Where a run holds a live lease: a waiting run's worker keeps it, heartbeating. */
export const LEASED_STATUSES: readonly RunStatus[] = [RunStatus.running, RunStatus.waiting];

/** Where a run has not ended. */
export const ACTIVE_STATUSES: readonly RunStatus[] = [RunStatus.queued, RunStatus.running, RunStatus.waiting];

const Q = RunStatus.queued;

export const RUN_TRANSITIONS = {
  create: { from: [], to: Q, event: EventType.runQueued, settlesApprovals: null, attempt: null },
  // A workflow run is driven by the server, not a worker: it holds no lease and no attempt.
  start: { from: [], to: RunStatus.running, event: EventType.runStarted, settlesApprovals: null, attempt: null },
  hold: { from: [Q], to: RunStatus.waiting, event: EventType.runWaiting, settlesApprovals: null, attempt: null },
  lease: { from: [Q], to: RunStatus.running, event: EventType.runStarted, settlesApprovals: null, attempt: { begins: 'running' } },
  heartbeat: { from: LEASED_STATUSES, to: null, event: null, settlesApprovals: null, attempt: null },
  wait: { from: [RunStatus.running], to: RunStatus.waiting, event: EventType.runWaiting, settlesApprovals: null, attempt: null },
  resume: { from: [RunStatus.waiting], to: RunStatus.running, event: EventType.runResumed, settlesApprovals: null, attempt: null },
  admit: { from: [RunStatus.waiting], to: Q, event: EventType.runResumed, settlesApprovals: null, attempt: null },
  // An LLM loop that waits (a tool approval, an agent tool's child) gives its lease up: nothing of it stays in memory.
  park: { from: LEASED_STATUSES, to: RunStatus.waiting, event: EventType.runWaiting, settlesApprovals: null, attempt: { ends: 'parked' } },
  unpark: { from: [RunStatus.waiting], to: Q, event: EventType.runResumed, settlesApprovals: null, attempt: null },
  retry: { from: LEASED_STATUSES, to: Q, event: EventType.runRetrying, settlesApprovals: null, attempt: { ends: 'cause' } },
  release: { from: LEASED_STATUSES, to: Q, event: EventType.runQueued, settlesApprovals: null, attempt: { ends: 'released' } },
  complete: { from: LEASED_STATUSES, to: RunStatus.succeeded, event: EventType.runSucceeded, settlesApprovals: 'the run completed', attempt: { ends: 'succeeded' } },
  fail: { from: LEASED_STATUSES, to: RunStatus.failed, event: EventType.runFailed, settlesApprovals: 'the run ended', attempt: { ends: 'cause' } },
  timeOut: { from: LEASED_STATUSES, to: RunStatus.timed_out, event: EventType.runTimedOut, settlesApprovals: 'the run ended', attempt: { ends: 'timed_out' } },
  // The approval that decided is settled by its decision (ApprovalService) before this runs; the run's others are cancelled.
  reject: { from: ACTIVE_STATUSES, to: RunStatus.failed, event: EventType.runFailed, settlesApprovals: 'the run ended', attempt: { ends: 'failed' } },
  cancel: { from: ACTIVE_STATUSES, to: RunStatus.cancelled, event: EventType.runCancelled, settlesApprovals: 'the run was cancelled', attempt: { ends: 'cancelled' } },
  expire: { from: ACTIVE_STATUSES, to: RunStatus.timed_out, event: EventType.runTimedOut, settlesApprovals: 'the run passed its deadline', attempt: { ends: 'timed_out' } },
} as const satisfies Record<string, RunTransitionSpec>;

export type RunTransitionName = keyof typeof RUN_TRANSITIONS;

/** Whether a run in `status` holds a live lease: the fence of every worker call. */
export function holdsLease(status: string): boolean {
  return (LEASED_STATUSES as readonly string[]).includes(status);
}

/** Whether `name` may start from a run in `status`. */
export function canTransition(name: RunTransitionName, status: string): boolean {
  return (RUN_TRANSITIONS[name].from as readonly string[]).includes(status);
}

/** What every transition into a terminal status writes besides its own fields. */
export function terminalFields(to: RunStatus | null, now: number): Partial<RunsTable> {
  return to !== null && isTerminal(to) ? { waiting_reason: null, waiting_since: null, finished_at: now, lease_expires_at: null } : {};
}

/** The set-wise form of a transition, for the dialects' batched SQL (see DialectQueries). */
export function statusChange(name: 'lease' | 'complete'): { from: readonly RunStatus[]; to: RunStatus; attemptOutcome: string } {
  const spec: RunTransitionSpec = RUN_TRANSITIONS[name];
  const attempt = spec.attempt;
  const attemptOutcome = attempt && 'begins' in attempt ? attempt.begins : attempt?.ends;
  if (spec.to === null || attemptOutcome === undefined || attemptOutcome === 'cause') throw new Error(`${name} has no set-wise form`);
  return { from: spec.from, to: spec.to, attemptOutcome };
}
