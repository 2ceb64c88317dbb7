import type { RunFailure } from './errors.ts';
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

export interface EndpointSpec {
  description?: string;
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
  prefix: string;
  created_at: string;
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
}

export interface HeartbeatResult {
  lease_id: string;
  run_id: string;
  /** `active`: keep going. `cancelled`: the run was cancelled; stop and abandon it. */
  status: 'active' | 'cancelled';
  lease_expires_at: string;
}
