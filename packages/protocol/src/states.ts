/** Run lifecycle: queued → running → terminal, with running ⇄ waiting. */
export const RunStatus = {
  queued: 'queued',
  running: 'running',
  waiting: 'waiting',
  succeeded: 'succeeded',
  failed: 'failed',
  cancelled: 'cancelled',
  timed_out: 'timed_out',
} as const;
export type RunStatus = (typeof RunStatus)[keyof typeof RunStatus];

export const RUN_STATUSES = Object.values(RunStatus) as RunStatus[];

export const TERMINAL_STATUSES: ReadonlySet<RunStatus> = new Set<RunStatus>([
  RunStatus.succeeded,
  RunStatus.failed,
  RunStatus.cancelled,
  RunStatus.timed_out,
]);

export function isTerminal(status: RunStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** What a run runs: an agent endpoint, or a workflow (whose steps are its child runs). */
export const RunKind = {
  agent: 'agent',
  workflow: 'workflow',
} as const;
export type RunKind = (typeof RunKind)[keyof typeof RunKind];
export const RUN_KINDS = Object.values(RunKind) as RunKind[];

/** Why a run is waiting; a waiting run always carries one. */
export const WaitingReason = {
  approval: 'approval',
  child: 'child',
  signal: 'signal',
  sleep: 'sleep',
  /** An enqueued session message, held until the messages before it end (multitask enqueue). */
  session: 'session',
} as const;
export type WaitingReason = (typeof WaitingReason)[keyof typeof WaitingReason];

/**
 * API key roles. `worker` may use the worker protocol (for the agents it names) and nothing else;
 * `admin` may use it too, for every agent, but never receives secrets.
 */
export const Role = {
  admin: 'admin',
  developer: 'developer',
  operator: 'operator',
  approver: 'approver',
  viewer: 'viewer',
  worker: 'worker',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLES = Object.values(Role) as Role[];

/** A worker key's agent list that means every agent. Stated explicitly; never a default. */
export const ALL_AGENTS = '*';

/** A session's statuses (sessions: `/v1/sessions`). */
export const SESSION_STATUSES = ['active', 'paused', 'ended'] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** What a message sent while another is in flight does: refuse (409 SESSION_BUSY), wait its turn, or cancel the one in flight. */
export const MULTITASK_STRATEGIES = ['reject', 'enqueue', 'interrupt'] as const;
export type MultitaskStrategy = (typeof MULTITASK_STRATEGIES)[number];

export const SESSION_MESSAGE_ROLES = ['user', 'assistant'] as const;

