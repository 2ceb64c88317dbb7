import { EventType, type Task } from '@agentd/protocol';
import { compileUserSchema, type LlmSpec } from '@agentd/protocol/manifest';
import type { ModelMessage } from 'ai';
import { messageOf, providerFailure, retryable } from './model-failures.ts';
import type { AgentService } from '../agents/index.ts';
import type { ApprovalService } from '../approvals/index.ts';
import type { CallService } from '../calls/index.ts';
import { DomainError } from '../core/index.ts';
import { createScrubber, type SecretService } from '../secrets/index.ts';
import { chatHistory, type ChatMessage } from '../sessions/index.ts';
import type { Store } from '../store/index.ts';
import type { ToolFactory, ToolOutcome, ToolRunner, ToolSpec } from '../tools/index.ts';
import { agentTool } from './agent-tool.ts';
import { DeltaCoalescer } from './delta-coalescer.ts';
import { loopMessages, readLoopState, spendOf, type LoopState, type RecordedStep, type RecordedToolCall } from './llm-events.ts';
import { LoopParked, type LlmLease } from './llm-lease.ts';
import { costOf, resolveModel, type ResolvedModel } from './language-models.ts';
import type { ModelAliases } from '../models/index.ts';
import { modelStep, type ModelStepResult } from './model-step.ts';
import { argsHash, gateToolCall, needsApproval } from './tool-approval.ts';
import { ToolArguments } from './tool-arguments.ts';
import type { UsagePort, UsageRecord } from './usage-port.ts';

export interface LlmLoopDeps {
  store: Store;
  agents: AgentService;
  calls: CallService;
  approvals: ApprovalService;
  secrets: SecretService;
  models: ModelAliases;
  usage: UsagePort;
  tools: ToolFactory;
  /** At most one run.output.delta per run per this many ms. */
  deltaIntervalMs: number;
}

/** A failure of the run as the loop reports it through its lease. */
class RunStop extends Error {
  readonly type: string;
  readonly nonRetryable: boolean;
  readonly details: Record<string, unknown>;
  constructor(type: string, message: string, opts: { nonRetryable: boolean; details?: Record<string, unknown> }) {
    super(message);
    this.type = type;
    this.nonRetryable = opts.nonRetryable;
    this.details = opts.details ?? {};
  }
}

/** The user's message: the input's `message` when it is a string, else the input as JSON. */
export function userMessageOf(input: unknown): string {
  if (input && typeof input === 'object' && !Array.isArray(input) && typeof (input as { message?: unknown }).message === 'string') {
    const { message, ...rest } = input as Record<string, unknown>;
    return Object.keys(rest).length === 0 ? (message as string) : `${message as string}\n\n${JSON.stringify(rest)}`;
  }
  return typeof input === 'string' ? input : JSON.stringify(input ?? null);
}

/**
 * One leased attempt of an LLM run: rebuild from the run's events, then alternate model steps and
 * tool calls, recording each before going on, until the model answers without calling a tool (the
 * run succeeds with that answer), a limit stops it (`budget_exceeded`), or the lease is lost.
 */
export class LlmLoop {
  readonly #d: LlmLoopDeps;
  readonly #lease: LlmLease;
  readonly #task: Task;
  readonly #spec: LlmSpec;
  readonly #args = new ToolArguments();
  #state!: LoopState;
  #tools = new Map<string, ToolRunner>();
  #history: ChatMessage[] = [];
  /** The aliases' API keys read for this attempt (by secret name): never in a failure message. */
  readonly #keys: { name: string; value: string }[] = [];

  constructor(deps: LlmLoopDeps, lease: LlmLease, task: Task, spec: LlmSpec) {
    this.#d = deps;
    this.#lease = lease;
    this.#task = task;
    this.#spec = spec;
  }

  async run(): Promise<void> {
    try {
      const model = await this.#prepare();
      this.#state = await readLoopState(this.#d.store.db, this.#lease.tenantId, this.#lease.runId);
      // A run of a session: the turns before it, under the agent's context-window policy (spec.context).
      this.#history = await chatHistory(this.#d.store.db, this.#lease.tenantId, this.#lease.runId, this.#spec.context ?? undefined);
      // An earlier holder may have died between a step's event and its usage record: recording
      // a (run, step) again adds nothing, so the last recorded step is recorded once more (each
      // step before it was, before the next step began).
      if (this.#task.attempt > 1) {
        const last = this.#state.steps.at(-1);
        if (last) await this.#d.usage.recordUsage(this.#usageRecord(model, last));
        // Leased again after a park: the attempt timeout counts the time worked before it.
        await this.#lease.chargeParkedTime();
      }
      for (;;) {
        this.#lease.signal.throwIfAborted();
        const last = this.#state.steps.at(-1);
        if (last && last.tool_calls.length > 0) {
          for (const call of last.tool_calls) if (!this.#state.results.has(call.id)) await this.#runTool(last, call);
        } else if (last && !last.output_problem) {
          await this.#lease.complete(this.#finalOutput(last)).catch((err: unknown) => {
            // The endpoint's own output schema refused the answer: another attempt would give the same.
            if (err instanceof DomainError && err.code === 'OUTPUT_INVALID') throw new RunStop('output_invalid', err.message, { nonRetryable: true, details: { problems: err.details } });
            throw err;
          });
          return;
        }
        await this.#step(model);
      }
    } catch (err) {
      await this.#stop(err);
    } finally {
      // The tools' connections (one MCP client per server) live as long as the loop.
      for (const t of this.#tools.values()) {
        await t.close?.().catch((err: unknown) => this.#d.store.loops.loop('llm-runner').itemFailed(err, { what: "closing an LLM run's tool connection", run_id: this.#task.run_id, tool: t.spec.name }));
      }
    }
  }

  async #prepare(): Promise<ResolvedModel> {
    const model = await this.#model(this.#spec.model);
    const deps = { agents: this.#d.agents, calls: this.#d.calls };
    for (const entry of this.#spec.tools) {
      let runners: ToolRunner[];
      try {
        runners = entry.kind === 'agent' ? [await agentTool(deps, this.#lease, entry)] : await this.#d.tools.create({ tenantId: this.#lease.tenantId, agent: this.#task.agent, entry, signal: this.#lease.signal });
      } catch (err) {
        if (err instanceof DomainError) throw new RunStop('llm_config', err.message, { nonRetryable: true });
        throw err;
      }
      for (const r of runners) this.#tools.set(r.spec.name, Object.assign(r, { approval: entry.approval, approvalPrompt: entry.approval_prompt }));
    }
    return model;
  }

  /** An alias with its key from the vault, as an AI SDK model; a missing alias or key stops the run (llm_config). */
  async #model(name: string): Promise<ResolvedModel> {
    const alias = this.#d.models.get(name);
    if (!alias) throw new RunStop('llm_config', `no model alias ${JSON.stringify(name)} in the server config (models:); known: ${this.#d.models.names().join(', ') || 'none'}`, { nonRetryable: true });
    let apiKey: string | undefined;
    if (alias.api_key_secret) {
      apiKey = await this.#d.secrets.readValue({ tenantId: this.#lease.tenantId, name: alias.api_key_secret }).catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'SECRET_NOT_FOUND') throw new RunStop('llm_config', `model alias ${name}: the vault has no secret ${JSON.stringify(alias.api_key_secret)} (api_key_secret)`, { nonRetryable: true });
        throw err;
      });
      if (apiKey !== undefined) this.#keys.push({ name: alias.api_key_secret, value: apiKey });
    }
    try {
      return resolveModel(name, alias, apiKey);
    } catch (err) {
      if (err instanceof DomainError) throw new RunStop('llm_config', err.message, { nonRetryable: true });
      throw err;
    }
  }

  /** One model call, its text streamed as it comes, recorded with its tool calls in one commit. */
  async #step(primary: ResolvedModel): Promise<void> {
    let model = primary;
    const spent = spendOf(this.#state);
    const n = (this.#state.steps.at(-1)?.step ?? 0) + 1;
    const messages = loopMessages(userMessageOf(this.#task.input), this.#state, this.#history);
    const tools = [...this.#tools.values()].map((t) => t.spec);
    const instructions = this.#instructions();
    // About 4 characters a token: enough for a limit to stop the call that would cross it. The
    // answer is estimated at max_output_tokens, or DEFAULT_OUTPUT_ESTIMATE_TOKENS without it.
    const estimate = { inputTokens: Math.ceil(JSON.stringify([instructions, messages, tools]).length / 4), outputTokens: this.#spec.limits.max_output_tokens ?? DEFAULT_OUTPUT_ESTIMATE_TOKENS };
    const who = { tenantId: this.#lease.tenantId, runId: this.#lease.runId, agent: this.#task.agent, alias: model.alias };
    const verdict = await this.#d.usage.checkBudget({ ...who, limits: this.#spec.limits, spent, estimate });
    if (!verdict.ok) throw new RunStop('budget_exceeded', verdict.message, { nonRetryable: true, details: { ...verdict.details, spent } });
    const call = { n, instructions, messages, tools, estimatedTokens: estimate.inputTokens + estimate.outputTokens };
    let result: ModelStepResult;
    try {
      result = await this.#call(model, call);
    } catch (err) {
      // The alias's retries spent on 429/5xx, a timeout or a dead connection: its fallback alias,
      // once. Not on anything else (a reply the SDK cannot read, a bug of ours): another provider would not fix it.
      if (this.#lease.signal.aborted || err instanceof RunStop || !providerFailure(err) || !model.config.fallback) throw err;
      model = await this.#model(model.config.fallback);
      result = await this.#call(model, call);
    }
    const ids = recordedCallIds(n, result.toolCalls.map((c) => c.id));
    const calls: RecordedToolCall[] = result.toolCalls.map((c, i) => ({ id: ids[i], name: c.name, args: c.args ?? {}, args_hash: argsHash(c.args ?? {}) }));
    const cost = result.usage ? costOf(this.#d.models.prices(model.alias), result.usage) : null;
    const step: RecordedStep = { step: n, text: result.text, tool_calls: calls, usage: result.usage, cost_usd: cost, finish_reason: result.finishReason, alias: model.alias };
    if (calls.length === 0) {
      const problem = this.#outputProblem(result.text);
      if (problem) step.output_problem = problem;
    }
    await this.#lease.record([
      { type: EventType.runLlmStep, data: { ...step, model: model.config.model, ...(result.reasoning ? { reasoning: result.reasoning } : {}) } },
      ...calls.map((c) => ({ type: EventType.runToolCall, data: { step: n, tool_call_id: c.id, tool: c.name, args: c.args, args_hash: c.args_hash } })),
    ]);
    this.#state.steps.push(step);
    await this.#d.usage.recordUsage(this.#usageRecord(model, step));
  }

  /** The call itself: admitted by the alias's shared rate limits, streamed, its deltas written. */
  async #call(model: ResolvedModel, c: { n: number; instructions: string; messages: ModelMessage[]; tools: ToolSpec[]; estimatedTokens: number }): Promise<ModelStepResult> {
    try {
      await this.#d.usage.acquire?.({ tenantId: this.#lease.tenantId, runId: this.#lease.runId, step: c.n, alias: model.alias, estimatedTokens: c.estimatedTokens, signal: this.#lease.signal });
    } catch (err) {
      if (this.#lease.signal.aborted) throw err;
      // The alias's shared per-minute limits did not admit the call in time: another attempt, later.
      throw new RunStop('model_rate_limited', (err as Error).message, { nonRetryable: false, details: { alias: model.alias } });
    }
    const deltas = new DeltaCoalescer((batch) => this.#lease.record(batch.map(({ type, text, extra }) => ({ type, data: type === EventType.runToolCallDelta ? { ...extra, delta: text } : { text } }))), this.#d.deltaIntervalMs);
    try {
      const result = await modelStep({
        model,
        instructions: c.instructions,
        messages: c.messages,
        tools: c.tools,
        maxOutputTokens: this.#spec.limits.max_output_tokens,
        signal: this.#lease.signal,
        onText: (t) => deltas.push(EventType.runOutputDelta, t),
        onReasoning: (t) => deltas.push(EventType.runReasoningDelta, t),
        onToolInput: (call, d) => deltas.push(EventType.runToolCallDelta, d, { tool_call_id: recordedCallIds(c.n, [call.id])[0], tool: call.tool }),
      });
      await deltas.flush();
      return result;
    } finally {
      deltas.close();
    }
  }

  #usageRecord(model: ResolvedModel, s: RecordedStep): UsageRecord {
    const alias = s.alias ?? model.alias;
    return { tenantId: this.#lease.tenantId, runId: this.#lease.runId, agent: this.#task.agent, alias, model: this.#d.models.get(alias)?.model ?? model.config.model, step: s.step, usage: s.usage, cost_usd: s.cost_usd };
  }

  /** One tool call: validated, gated, marked started, run, its outcome recorded. */
  async #runTool(step: RecordedStep, call: RecordedToolCall): Promise<void> {
    const outcome = capped(await this.#outcome(step, call));
    this.#lease.signal.throwIfAborted();
    await this.#lease.record([{ type: EventType.runToolResult, data: { tool_call_id: call.id, tool: call.name, ok: outcome.ok, ...(outcome.ok ? { output: outcome.output ?? null } : { error: outcome.error }) } }]);
    this.#state.results.set(call.id, outcome);
  }

  async #outcome(step: RecordedStep, call: RecordedToolCall): Promise<ToolOutcome> {
    const tool = this.#tools.get(call.name) as (ToolRunner & { approval: LlmSpec['tools'][number]['approval']; approvalPrompt?: string }) | undefined;
    if (!tool) return { ok: false, error: { code: 'unknown_tool', message: `there is no tool named ${JSON.stringify(call.name)}` } };
    const problems = this.#args.check(tool.spec, call.args);
    if (problems) return { ok: false, error: { code: 'invalid_arguments', message: `the arguments do not match the tool's schema: ${problems}` } };
    if (this.#state.started.has(call.id) && !tool.spec.idempotent) {
      return { ok: false, error: { code: 'outcome_unknown', message: 'this call was started but the server stopped before its result was recorded; whether it took effect is unknown. Do not assume it did or did not; check before calling again.' } };
    }
    if (await needsApproval(tool.approval, call.args)) {
      const gate = await gateToolCall(this.#d.approvals, this.#lease, { id: call.id, tool: call.name, args: call.args, args_hash: call.args_hash, reason: step.text, prompt: tool.approvalPrompt });
      if (!gate.approved) return { ok: false, error: { code: 'tool_call_rejected', message: gate.message } };
    }
    if (!this.#state.started.has(call.id)) {
      await this.#lease.record([{ type: EventType.runToolStarted, data: { tool_call_id: call.id, tool: call.name } }]);
      this.#state.started.add(call.id);
    }
    const agent = this.#task.agent;
    const tenantId = this.#lease.tenantId;
    try {
      return await tool.call({
        tenantId,
        runId: this.#lease.runId,
        agentName: agent,
        toolCallId: call.id,
        args: call.args,
        signal: this.#lease.signal,
        secret: (name) => this.#grantedSecret(name),
      });
    } catch (err) {
      if (this.#lease.signal.aborted || err instanceof LoopParked) throw err;
      if (err instanceof DomainError && (err.code === 'LEASE_LOST' || err.code === 'LEASE_NOT_FOUND')) throw err;
      return { ok: false, error: { code: 'tool_error', message: (err as Error).message ?? String(err) } };
    }
  }

  async #grantedSecret(name: string): Promise<string | undefined> {
    const grant = await this.#d.store.db
      .selectFrom('grants')
      .select('id')
      .where('tenant_id', '=', this.#lease.tenantId)
      .where('secret', '=', name)
      .where('agent', '=', this.#task.agent)
      .where('revoked_at', 'is', null)
      .where((eb) => eb.or([eb('endpoint', 'is', null), eb('endpoint', '=', this.#task.endpoint)]))
      .executeTakeFirst();
    if (!grant) return undefined;
    return this.#d.secrets.readValue({ tenantId: this.#lease.tenantId, name });
  }

  #instructions(): string {
    if (!this.#spec.output) return this.#spec.instructions;
    const schema = JSON.stringify(this.#spec.output);
    return `${this.#spec.instructions}\n\nYour final answer must be only a JSON value (no prose, no code fence) that satisfies this JSON Schema:\n${schema}`.trim();
  }

  /** Why a final answer does not satisfy the output schema, or null (no schema, or it does). */
  #outputProblem(text: string): string | null {
    if (!this.#spec.output) return null;
    let value: unknown;
    try {
      value = JSON.parse(stripFence(text));
    } catch {
      return 'it is not JSON';
    }
    const validate = compileUserSchema(this.#spec.output);
    return validate(value) ? null : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`).join('; ');
  }

  #finalOutput(last: RecordedStep): Record<string, unknown> {
    const s = spendOf(this.#state);
    const usage = { steps: s.steps, input_tokens: s.input_tokens, output_tokens: s.output_tokens, total_tokens: s.total_tokens, cost_usd: s.cost_usd, steps_without_usage: s.steps_without_usage };
    const out: Record<string, unknown> = { text: last.text, usage };
    if (this.#spec.output) out.data = JSON.parse(stripFence(last.text));
    return out;
  }

  async #stop(err: unknown): Promise<void> {
    // Parked (its lease given up while it waits), a lost lease or a cancel: another holder (or nobody) owns the run now; nothing to report.
    if (err instanceof LoopParked || this.#lease.lost) return;
    if (err instanceof DomainError && (err.code === 'LEASE_LOST' || err.code === 'LEASE_NOT_FOUND' || err.code === 'RUN_ALREADY_TERMINAL')) return;
    const failure =
      err instanceof RunStop
        ? { type: err.type, message: err.message, non_retryable: err.nonRetryable, details: err.details }
        : { type: 'model_error', message: messageOf(err), non_retryable: !retryable(err), details: {} };
    try {
      // A provider or gateway may echo the key it was sent in its error text.
      await this.#lease.fail(createScrubber(this.#keys)(failure));
    } catch (e) {
      if (!(e instanceof DomainError)) throw e;
      // The lease went meanwhile: the sweeper retries the attempt.
    }
  }
}

/**
 * The ids a step's tool calls are recorded under: `s<step>-<provider id>`, a repeat within the
 * step suffixed `-2`, `-3`, … Results, started calls, approval keys and child call keys are all
 * keyed by this id, and some OpenAI-compatible servers reuse ids across steps (`"0"` every time)
 * or within one; the provider's id alone would hand a later call an earlier call's result,
 * approval or child. `-` rather than `:`: Anthropic accepts only `[A-Za-z0-9_-]` in a tool id,
 * and the recorded id is the one sent back to the model.
 */
export function recordedCallIds(step: number, providerIds: readonly string[]): string[] {
  const taken = new Set<string>();
  return providerIds.map((raw) => {
    const base = `s${step}-${raw}`;
    let id = base;
    for (let k = 2; taken.has(id); k++) id = `${base}-${k}`;
    taken.add(id);
    return id;
  });
}

/**
 * What a call's answer is estimated at when the agent sets no `limits.max_output_tokens`: a
 * budget check must not assume an answer of 0 tokens, or a call could cross max_total_tokens
 * (or a cost limit) by its answer alone unnoticed.
 */
export const DEFAULT_OUTPUT_ESTIMATE_TOKENS = 1024;

/** The most of a tool's outcome recorded and given to the model (JSON bytes). */
export const MAX_TOOL_RESULT_BYTES = 64 * 1024;

/** An outcome over the cap becomes an error the model can act on (ask for less). */
function capped(o: ToolOutcome): ToolOutcome {
  const bytes = Buffer.byteLength(JSON.stringify(o.ok ? (o.output ?? null) : o.error));
  if (bytes <= MAX_TOOL_RESULT_BYTES) return o;
  return { ok: false, error: { code: 'tool_result_too_large', message: `the tool's reply is ${bytes} bytes; the most a reply may be is ${MAX_TOOL_RESULT_BYTES}. Ask for less.` } };
}

function stripFence(text: string): string {
  const m = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/.exec(text);
  return m ? m[1] : text;
}
