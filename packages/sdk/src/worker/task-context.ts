import { CUSTOM_EVENT_PATTERN, type Finding, type Task, type TaskSession } from '@agentd/protocol';
import type { FindingCreateParams } from '../resources/finding-log-audit-types.ts';
import type { LeaseEventBuffer } from './lease-event-buffer.ts';
import type { ApprovalOptions, ApprovalResult } from './task-approval.ts';
import type { WaitForSignalOptions } from './task-signals.ts';
import type { CallOptions, TaskCall } from './task-call.ts';
import { createTaskSecrets, withoutSecrets, type TaskSecrets } from './task-secrets.ts';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What a handler gets besides its input. The event methods return promises that resolve once
 * the event is stored and never reject, so awaiting them is optional.
 */
export interface TaskContext<I = unknown> {
  runId: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The run that called this one (`ctx.call`, a workflow step); null for a root run. */
  parentRunId: string | null;
  /** The root of this run's tree: this run's own id for a root run. */
  rootRunId: string;
  /** The agent of the calling run; null for a root run. */
  callerAgent: string | null;
  /** 0 for a root run, the parent's depth + 1 for a child (the server caps it). */
  depth: number;
  input: I;
  /**
   * Aborts when the run is cancelled, the lease is lost, or shutdown's grace ran out;
   * `signal.reason` is a `TaskAbortedError` saying which. Afterwards the result is discarded.
   */
  signal: AbortSignal;
  /** The whole leased task (agent, endpoint, deadlines, metadata), without its secret values. */
  task: Task;
  /**
   * A run of a session's message: the session's id and the earlier messages and replies, oldest
   * first, in conversation order (each user message followed by its reply). Null outside a session.
   * @example const turns = ctx.session?.messages.filter((m) => m.role === 'user').length ?? 0;
   */
  session: TaskSession | null;
  /**
   * The secrets granted to this agent (and endpoint), delivered with this lease only.
   * @example const apiKey = ctx.secrets.get('openai_key'); // throws SecretNotGrantedError, naming the missing grant
   */
  secrets: TaskSecrets;
  /**
   * Appends a `run.log` event with structured `fields` (default none) at `level` (default `info`).
   * @example await ctx.log('scan done', { level: 'warn', fields: { files: 3 } });
   */
  log(message: string, opts?: { fields?: Record<string, unknown>; level?: LogLevel }): Promise<void>;
  /**
   * Appends a `run.progress` event; `progress` is the caller's own scale (0–1 by convention).
   * @example await ctx.progress({ progress: 0.5, message: 'half way' });
   */
  progress(update: { progress?: number; message?: string }): Promise<void>;
  /** Appends a `custom.<name>` event. Throws a TypeError for a name the server would refuse. */
  emit(name: string, data?: Record<string, unknown>): Promise<void>;
  /** Appends a `run.output.delta` event (streamed output such as model tokens). */
  outputDelta(delta: unknown): Promise<void>;
  /**
   * Asks a person to decide and waits (the run is `waiting`, the lease kept alive).
   * @example const { approved, reason } = await ctx.approval({ prompt: `Refund ${input.amount}?`, payload: input });
   */
  approval(opts: ApprovalOptions): Promise<ApprovalResult>;
  /**
   * Waits for a signal named `name` (`POST /v1/runs/{id}/signals/{name}`, `client.runs.signal`)
   * and resolves to its payload. A signal sent before the wait began is kept and taken at once;
   * each wait takes one, the oldest. The run is `waiting` (reason `signal`) meanwhile, the lease
   * kept alive. With `timeout` (ms), rejects with `SignalTimeoutError` when none came in time.
   * @example const { approved } = await ctx.waitForSignal<{ approved: boolean }>('review', { timeout: 3_600_000 });
   */
  waitForSignal<T = unknown>(name: string, opts?: WaitForSignalOptions): Promise<T>;
  /**
   * Runs `fn` once per run: its JSON result is recorded before it is returned, and a later
   * attempt of the run gets the recorded result without calling `fn` again. A throwing `fn`
   * records nothing (it runs again next attempt). Name steps by what they do; the n-th call of
   * one name in an attempt is `name#n`.
   * @example const charge = await ctx.step('charge', () => payments.charge(input.order));
   */
  step<T>(name: string, fn: () => T | Promise<T>): Promise<T>;
  /**
   * Calls another agent's endpoint as a child run and waits for it (the run is `waiting`, the
   * lease kept alive). Resolves to the child's output; rejects with ChildRunFailed when the child
   * did not succeed. Keys come from call order unless `opts.key` is given.
   * @example const draft = await ctx.call('writer', 'draft', { topic: input.topic });
   */
  call<O = unknown>(agent: string, endpoint: string, input?: unknown, opts?: CallOptions): Promise<O>;
  /**
   * Posts a finding through the lease (batched; also a `run.finding` event). Resolves with the
   * stored finding, or null if it could not be stored; never rejects. Every finding is stored
   * before the run completes. Throws a TypeError for a finding the server would refuse.
   * @example ctx.finding({ severity: 'warning', summary: 'Hard-coded credential', file: 'src/db.ts:14', source: 'secret-scan' });
   */
  finding(finding: FindingCreateParams): Promise<Finding | null>;
}

/** What a handler's context asks the server through the lease, besides events. */
export type TaskCalls = Pick<TaskContext, 'approval' | 'waitForSignal' | 'step'> & { call: TaskCall };

export function createTaskContext(task: Task, signal: AbortSignal, events: LeaseEventBuffer, calls: TaskCalls): TaskContext {
  return {
    approval: calls.approval,
    waitForSignal: calls.waitForSignal,
    step: calls.step,
    call: <O>(agent: string, endpoint: string, input?: unknown, opts?: CallOptions) => calls.call(agent, endpoint, input, opts) as Promise<O>,
    finding: (finding) => events.pushFinding(finding),
    runId: task.run_id,
    attempt: task.attempt,
    parentRunId: task.parent_run_id,
    rootRunId: task.root_run_id,
    callerAgent: task.caller_agent,
    depth: task.depth,
    input: task.input,
    signal,
    task: withoutSecrets(task),
    session: task.session ?? null,
    secrets: createTaskSecrets(task),
    log: (message, opts = {}) => {
      // Fields passed where the options go (the old `log(message, fields)`) would vanish unseen.
      for (const k in opts) if (k !== 'fields' && k !== 'level') throw new TypeError(`ctx.log takes { fields, level }; got ${JSON.stringify(k)}`);
      const { fields, level = 'info' } = opts;
      return events.push({ type: 'run.log', data: fields === undefined ? { level, message } : { level, message, fields } });
    },
    progress: ({ progress, message }) => events.push({ type: 'run.progress', data: dropUndefined({ progress, message }) }),
    emit: (name, data = {}) => {
      const type = name.startsWith('custom.') ? name : `custom.${name}`;
      // Checked here because one bad type makes the server refuse the whole batch of events.
      if (!CUSTOM_EVENT_PATTERN.test(type)) throw new TypeError(`Invalid custom event name: ${JSON.stringify(name)}`);
      return events.push({ type, data });
    },
    outputDelta: (delta) => events.push({ type: 'run.output.delta', data: { delta } }),
  };
}

function dropUndefined(data: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v !== undefined));
}
