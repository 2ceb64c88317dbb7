/**
 * Parameter and response shapes of the resource methods, named like openai-node's
 * (`RunCreateParams`, `RunListParams`, …). Wire objects themselves come from `@agentd/protocol`.
 */
import type { RetryPolicyPatch, Role, Run, RunFailure, RunStatus, Task } from '@agentd/protocol';

/** Cursor pagination shared by every list: `limit` 1–500 (server default 50). */
export interface ListParams {
  limit?: number;
  cursor?: string;
}

export type AgentListParams = ListParams;
export type AgentVersionListParams = ListParams;
export type KeyListParams = ListParams;
export type WorkflowListParams = ListParams;
export type WorkflowVersionListParams = ListParams;

/** `POST /v1/workflows/{name}/runs`: the workflow's input (checked against its `spec.input`), metadata, an ISO deadline. */
export interface WorkflowStartParams {
  input?: unknown;
  metadata?: Record<string, unknown>;
  deadline?: string;
}

export interface AgentDeleteResponse {
  name: string;
  deleted: true;
}

export interface RunCreateParams {
  agent: string;
  endpoint: string;
  input: unknown;
  metadata?: Record<string, unknown>;
  /** −100…100, higher runs first. */
  priority?: number;
  /** Overrides the endpoint's per-attempt timeout. */
  timeout_ms?: number;
  /** ISO time bounding the whole run, retries included. */
  deadline?: string;
}

export interface RunListParams extends ListParams {
  agent?: string;
  /** Only the runs of this tree: the root run and every descendant. */
  root?: string;
  /** One status, or several (sent comma-separated). */
  status?: RunStatus | RunStatus[];
  /** ISO time. */
  created_after?: string;
  /** ISO time. */
  created_before?: string;
}

export interface RunCancelParams {
  reason?: string;
}

/** `client.runs.retry`: a failed workflow run again, from its failed steps. */
export interface RunRetryParams {
  /** The new run's deadline (ISO time, in the future); none when not given. */
  deadline?: string | null;
}

/**
 * A live change of a run (`client.runs.update`): `generation` is the one the change is based on
 * (the run's `generation` as last read); the fields given change, the others stay.
 */
export interface RunUpdateParams {
  generation: number;
  /** 1–100; at least the attempts the run has made (and, queued, the one it is about to make). */
  max_attempts?: number;
  /** Fields of the retry policy to change (max_attempts is its own field). */
  retry?: RetryPolicyPatch;
  /** ISO time in the future, or null to clear the deadline. */
  deadline?: string | null;
  /** -100..100; higher leases first. */
  priority?: number;
}

/** `{ data }` wrapper of the batch and attempts answers. */
export interface DataList<T> {
  data: T[];
}

export interface RunEventsParams {
  /** Start after this seq (exclusive). Default: from the first event. */
  after?: number | string;
  /** Stops the stream; iteration then ends quietly. */
  signal?: AbortSignal;
}

export interface RunEventsPageParams {
  after?: number | string;
  /** Up to 1000. */
  limit?: number;
}

export interface RunWaitOptions {
  /** Give up waiting (the run keeps going) with `RunWaitTimeoutError`. Default: wait as long as it takes. */
  timeoutMs?: number;
  /** Stops waiting with `APIUserAbortError`. */
  signal?: AbortSignal;
}

export interface KeyCreateParams {
  role: Role;
  name?: string;
  /**
   * Required for a `worker` key, refused for any other role: the agents it may serve, or `['*']`
   * for every agent. Only a key that names an agent receives that agent's secrets.
   */
  agents?: string[];
  /** When the key stops working (an ISO 8601 time, or a Date). Default: never. */
  expires_at?: string | Date;
}

export interface EventStreamParams {
  agent?: string;
  run?: string;
  /** An event type, or a prefix ending in `*` (`run.*`). */
  type?: string;
  /** Start after this event id (exclusive). Default: only new events. */
  after?: string;
  signal?: AbortSignal;
}

export interface EventListParams {
  agent?: string;
  run?: string;
  type?: string;
  after?: string;
  limit?: number;
}

export interface LeaseParams {
  agent: string;
  /** Only these endpoints. Default: all of the agent's. */
  endpoints?: string[];
  /** 1–100. */
  max_tasks?: number;
  /** Long-poll time, 0–30000 ms; server default 20000. */
  wait_ms?: number;
  worker_id?: string;
  /** 1000–600000 ms; server default 30000. */
  lease_ttl_ms?: number;
}

export interface LeaseResponse {
  tasks: Task[];
}

/** A failure as a worker reports it; the server fills in the defaults. */
export interface RunFailureInput {
  type: string;
  message: string;
  non_retryable?: boolean;
  details?: unknown;
}

/** An event a worker appends: `run.log`, `run.progress`, `run.output.delta` or `custom.<name>`. */
export interface WorkerEventInput {
  type: string;
  data: Record<string, unknown>;
}

export interface AppendEventsResponse {
  seqs: number[];
}

export type CompletionItem = { lease_id: string; output: unknown } | { lease_id: string; error: RunFailureInput | RunFailure };

export type CompletionResult =
  | { lease_id: string; ok: true }
  | { lease_id: string; ok: false; error: { code: string; message: string; details?: unknown } };

export interface CompleteBatchResponse {
  results: CompletionResult[];
}

/** A lease taken in the same call as a completion: runs ready now, no waiting. */
export type CompleteLeaseParams = Omit<LeaseParams, 'wait_ms'>;

export interface CompleteAndLeaseResponse {
  results: CompletionResult[];
  tasks: Task[];
}

export type { Run };
