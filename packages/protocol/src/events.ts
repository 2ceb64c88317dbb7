/** Event types: dotted, lower-case, one namespace per resource. */
export const EventType = {
  runQueued: 'run.queued',
  runStarted: 'run.started',
  runLog: 'run.log',
  runProgress: 'run.progress',
  /** Streamed text: data {text}. An LLM run's deltas are coalesced (at most one event per run every 50 ms by default). */
  runOutputDelta: 'run.output.delta',
  /** An LLM run's streamed reasoning, where the provider sends it: data {text}. */
  runReasoningDelta: 'run.reasoning.delta',
  /** An LLM run's completed model step: data {step, text, tool_calls, usage (null: the provider sent none), cost_usd, finish_reason, model}. */
  runLlmStep: 'run.llm.step',
  /** A tool call the model made: data {step, tool_call_id, tool, args, args_hash}. Recorded with its step. */
  runToolCall: 'run.tool_call',
  /** A tool call's arguments as the model streams them: data {tool_call_id, tool, delta} (coalesced like text). */
  runToolCallDelta: 'run.tool_call.delta',
  /** A tool call about to run (after any approval): data {tool_call_id, tool}. One without a result at a crash had its outcome unknown. */
  runToolStarted: 'run.tool_started',
  /** A tool call's outcome as the model gets it: data {tool_call_id, tool, ok, output | error}. */
  runToolResult: 'run.tool_result',
  runWaiting: 'run.waiting',
  runResumed: 'run.resumed',
  runRetrying: 'run.retrying',
  runSucceeded: 'run.succeeded',
  runFailed: 'run.failed',
  runCancelled: 'run.cancelled',
  runTimedOut: 'run.timed_out',
  /** A structured finding the run posted (`POST /v1/leases/{id}/findings`); data is the finding. */
  runFinding: 'run.finding',
  /** A signal arrived (`POST /v1/runs/{id}/signals/{name}`); data: signal id, name, payload size, never the payload. */
  runSignal: 'run.signal',
  /** A durable step's result (`ctx.step`), recorded through the lease; data: {key, output}. */
  runStep: 'run.step',
  /** A live control changed the run (`PATCH /v1/runs/{id}`); data: generation and each changed field's old and new value. */
  runUpdated: 'run.updated',
  /** A workflow step began: data {step, iteration, child_run_id} (an agent step) or {step, iteration, approval_id} (an approval step). */
  workflowStepStarted: 'workflow.step.started',
  /** A workflow step finished: data {step, iteration, child_run_id or approval_id}. */
  workflowStepSucceeded: 'workflow.step.succeeded',
  /** A workflow step failed (its child's final failure, an expression or input error): data {step, iteration, child_run_id, error}. */
  workflowStepFailed: 'workflow.step.failed',
  /** A workflow step's `if` was false: data {step, iteration}. */
  workflowStepSkipped: 'workflow.step.skipped',
  /**
   * Tenant events of an outbound subscription, not of a run: its `run_id` is the subscription's
   * id (`seq` counts that subscription's events) and `agent` is empty. `webhook.failing`: a
   * delivery gave up after its retries and the subscription turned `failing`; `webhook.recovered`:
   * a delivery to a failing subscription succeeded. data: {webhook_id, url, delivery_id,
   * event_type, event_run_id, attempts, status_code, last_error (failing only)}.
   */
  webhookFailing: 'webhook.failing',
  webhookRecovered: 'webhook.recovered',
  approvalRequested: 'approval.requested',
  approvalDecided: 'approval.decided',
  approvalExpired: 'approval.expired',
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  EventType.runSucceeded,
  EventType.runFailed,
  EventType.runCancelled,
  EventType.runTimedOut,
]);

/** Event types a worker may append through its lease. */
export const WORKER_EVENT_TYPES: ReadonlySet<string> = new Set([
  EventType.runLog,
  EventType.runProgress,
  EventType.runOutputDelta,
]);

/** How much a finding matters, most first. */
export const FindingSeverity = {
  critical: 'critical',
  warning: 'warning',
  info: 'info',
} as const;
export type FindingSeverity = (typeof FindingSeverity)[keyof typeof FindingSeverity];
export const FINDING_SEVERITIES = Object.values(FindingSeverity) as FindingSeverity[];

/** `custom.<name>`: lower-case letters, digits, `_`, `-` and dots. */
export const CUSTOM_EVENT_PATTERN = /^custom\.[a-z0-9_][a-z0-9_.-]{0,99}$/;

export function isWorkerEventType(type: string): boolean {
  return WORKER_EVENT_TYPES.has(type) || CUSTOM_EVENT_PATTERN.test(type);
}
