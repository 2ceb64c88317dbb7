import { EventType } from '@agentd/protocol';
import type { ModelMessage } from 'ai';
import type { Kysely } from 'kysely';
import type { Database } from '../store/index.ts';
import type { ToolOutcome } from '../tools/index.ts';
import type { RunSpend, StepUsage } from './usage-port.ts';

/**
 * The LLM loop's durable record is the run's own events: each completed model step
 * (`run.llm.step`, with its `run.tool_call`s in the same commit), each tool call about to run
 * (`run.tool_started`) and each outcome (`run.tool_result`). A re-leased run rebuilds its state
 * from them (`readLoopState`) and continues from the last recorded step.
 */
export interface RecordedToolCall {
  id: string;
  name: string;
  args: unknown;
  args_hash: string;
}

export interface RecordedStep {
  step: number;
  text: string;
  tool_calls: RecordedToolCall[];
  usage: StepUsage | null;
  cost_usd: number | null;
  finish_reason: string;
  /** The alias that answered (the agent's, or its fallback). */
  alias?: string;
  /** Set on a final answer that failed the output schema: the model is asked again. */
  output_problem?: string;
}

export interface LoopState {
  steps: RecordedStep[];
  results: Map<string, ToolOutcome>;
  /** Calls that began to run; one without a result was in flight when the last holder stopped. */
  started: Set<string>;
}

const LOOP_EVENTS = [EventType.runLlmStep, EventType.runToolStarted, EventType.runToolResult];

/** Rebuilds the loop from the run's recorded events (every attempt's). */
export async function readLoopState(db: Kysely<Database>, tenantId: string, runId: string): Promise<LoopState> {
  const rows = await db
    .selectFrom('run_events')
    .select(['type', 'data'])
    .where('tenant_id', '=', tenantId)
    .where('run_id', '=', runId)
    .where('type', 'in', LOOP_EVENTS)
    .orderBy('seq')
    .execute();
  const state: LoopState = { steps: [], results: new Map(), started: new Set() };
  for (const r of rows) {
    const data = (typeof r.data === 'string' ? JSON.parse(r.data) : r.data) as Record<string, unknown>;
    if (r.type === EventType.runLlmStep) {
      const step = data as unknown as RecordedStep;
      // A step recorded twice (two holders racing before the fence caught one) counts once.
      if (!state.steps.some((s) => s.step === step.step)) state.steps.push(step);
    } else if (r.type === EventType.runToolStarted) state.started.add(String(data.tool_call_id));
    else if (!state.results.has(String(data.tool_call_id))) {
      state.results.set(String(data.tool_call_id), data.ok ? { ok: true, output: data.output } : { ok: false, error: data.error as { code: string; message: string } });
    }
  }
  return state;
}

export function spendOf(state: LoopState): RunSpend {
  const spent: RunSpend = { steps: state.steps.length, input_tokens: 0, output_tokens: 0, total_tokens: 0, cost_usd: 0, steps_without_usage: 0 };
  for (const s of state.steps) {
    if (!s.usage) {
      spent.steps_without_usage++;
      continue;
    }
    spent.input_tokens += s.usage.input_tokens;
    spent.output_tokens += s.usage.output_tokens;
    spent.total_tokens += s.usage.total_tokens;
    spent.cost_usd += s.cost_usd ?? 0;
  }
  return spent;
}

/** What the model gets for an outcome: the output, or `{error: {code, message}}`. */
export function outcomeValue(o: ToolOutcome): unknown {
  return o.ok ? (o.output ?? null) : { error: o.error };
}

/**
 * The conversation so far: the session's earlier turns (a run of a session), the user's message,
 * then each step and its tools' outcomes.
 */
export function loopMessages(userMessage: string, state: LoopState, history: readonly { role: 'user' | 'assistant'; content: string }[] = []): ModelMessage[] {
  const messages: ModelMessage[] = [...history.map((m) => ({ role: m.role, content: m.content }) as ModelMessage), { role: 'user', content: userMessage }];
  for (const s of state.steps) {
    const content: Exclude<Extract<ModelMessage, { role: 'assistant' }>['content'], string> = [];
    if (s.text) content.push({ type: 'text', text: s.text });
    for (const c of s.tool_calls) content.push({ type: 'tool-call', toolCallId: c.id, toolName: c.name, input: c.args ?? {} });
    if (content.length > 0) messages.push({ role: 'assistant', content });
    const answered = s.tool_calls.filter((c) => state.results.has(c.id));
    if (answered.length > 0) {
      messages.push({
        role: 'tool',
        content: answered.map((c) => ({ type: 'tool-result' as const, toolCallId: c.id, toolName: c.name, output: { type: 'json' as const, value: outcomeValue(state.results.get(c.id)!) as never } })),
      });
    }
    if (s.output_problem) messages.push({ role: 'user', content: `Your answer is not valid: ${s.output_problem}. Answer again with only a JSON value that satisfies the output schema.` });
  }
  return messages;
}
