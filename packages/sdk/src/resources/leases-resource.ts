import type { Approval, HeartbeatResult, RecordedStep, Run, SignalWaitResult, StepRecorded } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { AppendEventsResponse, RunFailureInput, WorkerEventInput } from './resource-types.ts';

const seg = encodeURIComponent;

/**
 * `/v1/leases/{id}/*`: calls fenced by a lease. A lease that is no longer the run's current one
 * gets `409 LEASE_LOST` (a `ConflictError` with that code), which is never retried.
 */
export class LeasesResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /** Extends the lease; `status: 'cancelled'` means stop. @example const hb = await client.leases.heartbeat(task.lease_id); */
  heartbeat(id: string, options?: RequestOptions): Promise<HeartbeatResult> {
    return this.#client.request<HeartbeatResult>({ method: 'POST', path: `/v1/leases/${seg(id)}/heartbeat`, body: {} }, options);
  }

  /** @example await client.leases.complete(task.lease_id, { greeting: 'hi' }); */
  complete(id: string, output: unknown, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/leases/${seg(id)}/complete`, body: { output } }, options);
  }

  /** @example await client.leases.fail(task.lease_id, { type: 'upstream', message: 'HTTP 502' }); */
  fail(id: string, error: RunFailureInput, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/leases/${seg(id)}/fail`, body: { error } }, options);
  }

  /** Gives the run back at once without spending an attempt. @example await client.leases.release(task.lease_id); */
  release(id: string, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/leases/${seg(id)}/release`, body: {} }, options);
  }

  /** 1–100 events. @example await client.leases.appendEvents(task.lease_id, [{ type: 'run.log', data: { level: 'info', message: 'hi' } }]); */
  appendEvents(id: string, events: WorkerEventInput[], options?: RequestOptions): Promise<AppendEventsResponse> {
    return this.#client.request<AppendEventsResponse>({ method: 'POST', path: `/v1/leases/${seg(id)}/events`, body: { events } }, options);
  }

  /**
   * Asks for a human decision for the leased run. The same `key` always names the same approval
   * (after a retry or a crash the existing one comes back, decided if it was).
   */
  requestApproval(id: string, body: WorkerApprovalInput, options?: RequestOptions): Promise<Approval> {
    return this.#client.request<Approval>({ method: 'POST', path: `/v1/leases/${seg(id)}/approvals`, body }, options);
  }

  /**
   * Starts a child run of the leased run (agent-to-agent call), or answers the one `key` already
   * names (after a retry or a crash: the same child, finished or not). The parent is `waiting`
   * (reason `child`) while the child is live.
   * @example const child = await client.leases.call(task.lease_id, { agent: 'writer', endpoint: 'draft', input: { topic }, key: 'call-1' });
   */
  call(id: string, body: LeaseCallInput, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/leases/${seg(id)}/calls`, body }, options);
  }

  /** Long-polls until the child run the call `key` names has ended or `wait_ms` (≤ 30 s; default 20 s) passes. */
  waitCall(id: string, key: string, params: { wait_ms?: number } = {}, options?: RequestOptions): Promise<Run> {
    const waitMs = params.wait_ms ?? 20_000;
    return this.#client.request<Run>({ method: 'GET', path: `/v1/leases/${seg(id)}/calls/${seg(key)}`, query: { wait_ms: waitMs } }, { timeout: waitMs + 15_000, ...options });
  }

  /** Long-polls until the approval is settled or `wait_ms` (≤ 30 s; default 20 s) passes. */
  waitApproval(id: string, approvalId: string, params: { wait_ms?: number } = {}, options?: RequestOptions): Promise<Approval> {
    const waitMs = params.wait_ms ?? 20_000;
    return this.#client.request<Approval>({ method: 'GET', path: `/v1/leases/${seg(id)}/approvals/${seg(approvalId)}`, query: { wait_ms: waitMs } }, { timeout: waitMs + 15_000, ...options });
  }

  /**
   * Long-polls for a signal named `name` to the leased run, consuming the oldest (`signal: null`
   * after `wait_ms`, ≤ 30 s; default 20 s). `key` names the wait within the run; `last` ends the
   * wait when nothing arrives (the run resumes running). `ctx.waitForSignal` is built on it.
   */
  waitSignal(id: string, name: string, params: { key: string; wait_ms?: number; last?: boolean }, options?: RequestOptions): Promise<SignalWaitResult> {
    const waitMs = params.wait_ms ?? 20_000;
    return this.#client.request<SignalWaitResult>({ method: 'POST', path: `/v1/leases/${seg(id)}/signals/${seg(name)}/wait`, body: { ...params, wait_ms: waitMs } }, { timeout: waitMs + 15_000, ...options });
  }

  /** Records a durable step's output; the first record of a key stays (`recorded: false` answers it). `ctx.step` is built on it. */
  recordStep(id: string, step: { key: string; output: unknown }, options?: RequestOptions): Promise<StepRecorded> {
    return this.#client.request<StepRecorded>({ method: 'POST', path: `/v1/leases/${seg(id)}/steps`, body: step }, options);
  }

  /** The durable steps the leased run recorded in any attempt, in order. */
  steps(id: string, options?: RequestOptions): Promise<{ data: RecordedStep[] }> {
    return this.#client.request<{ data: RecordedStep[] }>({ method: 'GET', path: `/v1/leases/${seg(id)}/steps` }, options);
  }
}

export interface LeaseCallInput {
  agent: string;
  endpoint: string;
  input?: unknown;
  /** Names the child within the parent run; default: a new child on every call. */
  key?: string;
  metadata?: Record<string, unknown>;
  /** ISO time; the parent's deadline wins when it is earlier. */
  deadline?: string;
}

export interface WorkerApprovalInput {
  key: string;
  prompt: string;
  payload?: unknown;
  timeout_ms?: number | null;
  on_timeout?: 'reject' | 'approve' | 'fail_run';
  assignees?: string[];
  required_approvals?: number;
}
