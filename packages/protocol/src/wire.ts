import type { RunFailure } from './errors.ts';
import type { FindingSeverity } from './events.ts';
import type { Role, RunStatus, WaitingReason } from './states.ts';

/** A page of a list; pass `next_cursor` back as `cursor` for the next one. */
export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface Run {
  id: string;
  agent: string;
  agent_version: number;
  endpoint: string;
  status: RunStatus;
  waiting_reason: WaitingReason | null;
  input: unknown;
  output: unknown;
  error: RunFailure | null;
  metadata: Record<string, unknown>;
  priority: number;
  attempts: number;
  max_attempts: number;
  timeout_ms: number;
  deadline_at: string | null;
  available_at: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  updated_at: string;
}

export interface RunAttempt {
  attempt: number;
  lease_id: string;
  worker_id: string | null;
  started_at: string;
  ended_at: string | null;
  outcome: 'running' | 'succeeded' | 'failed' | 'released' | 'lease_expired' | 'cancelled' | 'timed_out';
  error: RunFailure | null;
}

export interface RetryPolicy {
  max_attempts: number;
  initial_interval_ms: number;
  backoff_coefficient: number;
  max_interval_ms: number;
  /** Fraction of the delay randomised either way, 0..1. */
  jitter: number;
  non_retryable_types: string[];
}

/** What happens to an approval nobody decided in time. */
export type ApprovalTimeoutPolicy = 'reject' | 'approve' | 'fail_run';

/** A human decision declared on an endpoint: runs wait for it before any worker may lease them. */
export interface ApprovalSpec {
  prompt: string;
  timeout_ms: number | null;
  on_timeout: ApprovalTimeoutPolicy;
  assignees: string[];
  required_approvals: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface ApprovalVote {
  voter: string;
  voter_name: string | null;
  decision: 'approve' | 'reject';
  comment: string | null;
  at: string;
}

export interface Approval {
  id: string;
  run_id: string;
  agent: string;
  key: string;
  /** `manifest` (declared on the endpoint) or `worker` (asked by worker code). */
  source: 'manifest' | 'worker';
  status: ApprovalStatus;
  /** The outcome once settled: true = go ahead. null while pending. */
  approved: boolean | null;
  prompt: string;
  payload: unknown;
  assignees: string[];
  required_approvals: number;
  votes: ApprovalVote[];
  on_timeout: ApprovalTimeoutPolicy;
  expires_at: string | null;
  decided_by: string | null;
  comment: string | null;
  reason: string | null;
  created_at: string;
  decided_at: string | null;
}

export interface EndpointSpec {
  description?: string;
  /** A decision every run of this endpoint waits for before it is leased. */
  approval?: ApprovalSpec;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  timeout_ms: number;
  retry: RetryPolicy;
}

export interface AgentManifest {
  apiVersion: string;
  kind: 'Agent';
  metadata: { name: string; description?: string; labels?: Record<string, string> };
  spec: { runtime: 'worker'; endpoints: Record<string, unknown> };
}

export interface Agent {
  name: string;
  description: string | null;
  runtime: 'worker';
  version: number;
  endpoints: Record<string, EndpointSpec & { enabled: boolean }>;
  manifest: AgentManifest;
  created_at: string;
  updated_at: string;
}

export interface AgentVersion {
  agent: string;
  version: number;
  manifest: AgentManifest;
  created_at: string;
}

export interface ApiKey {
  id: string;
  name: string | null;
  role: Role;
  /**
   * A worker key's agents: the ones it may serve (`["*"]`: every agent, and then no secrets).
   * `null` for every other role.
   */
  agents: string[] | null;
  prefix: string;
  created_at: string;
  /** After this the key is refused like a revoked one; `null`: it does not expire. */
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** Returned once, by create: `key` is never shown again. */
export interface CreatedApiKey extends ApiKey {
  key: string;
}

/** One leased unit of work handed to a worker. */
export interface Task {
  lease_id: string;
  run_id: string;
  agent: string;
  agent_version: number;
  endpoint: string;
  input: unknown;
  metadata: Record<string, unknown>;
  attempt: number;
  max_attempts: number;
  lease_expires_at: string;
  deadline_at: string | null;
  /** When the attempt's own timeout ends it. */
  attempt_deadline_at: string;
  heartbeat_interval_ms: number;
  /** Values of the secrets granted to this agent (and endpoint), by name: for this run only. */
  secrets?: Record<string, string>;
  /**
   * Present when the lease was taken by a key that receives no secrets (an admin key, or a worker
   * key for `["*"]`): `secrets` is then empty whatever the grants say.
   */
  secrets_withheld?: SecretsWithheld;
}

/** Why a task carries no secrets: only a worker key that names the agent receives them. */
export interface SecretsWithheld {
  reason: 'admin_key' | 'all_agents_key';
  message: string;
}

export interface HeartbeatResult {
  lease_id: string;
  run_id: string;
  /** `active`: keep going. `cancelled`: the run was cancelled; stop and abandon it. */
  status: 'active' | 'cancelled';
  lease_expires_at: string;
}

/** A structured result a run posted through its lease. `id` is tenant-wide and commit-ordered. */
export interface Finding {
  id: string;
  run_id: string;
  agent: string;
  severity: FindingSeverity;
  source: string | null;
  file: string | null;
  summary: string;
  details: unknown;
  created_at: string;
}

/** A `run.log` event seen as a log line. `id` is the tenant-wide event id, `seq` the run's. */
export interface LogLine {
  id: string;
  seq: number;
  run_id: string;
  agent: string;
  at: string;
  level: string;
  message: string;
  fields: Record<string, unknown> | null;
}

/** One row of the append-only audit trail. */
export interface AuditRecord {
  id: string;
  at: string;
  /** The API key id; null for the system. */
  actor: string | null;
  actor_role: string | null;
  /** `METHOD /route/{pattern}`, or a named action such as `secret.delivered`. */
  action: string;
  target_type: string | null;
  target_id: string | null;
  outcome: 'ok' | 'denied' | 'error';
  status_code: number | null;
  request_id: string | null;
  details: Record<string, unknown>;
}
