import { jsonSchema, streamText, tool, type ModelMessage, type ToolSet } from 'ai';
import { withoutSchemaKeyword, type ToolSpec } from '../tools/index.ts';
import { tokenCount } from '../usage/index.ts';
import type { ResolvedModel } from './language-models.ts';
import type { StepUsage } from './usage-port.ts';

export interface ModelStepResult {
  text: string;
  reasoning: string;
  toolCalls: { id: string; name: string; args: unknown }[];
  /** null: the response carried no usage (it counts as unknown, never as zero). */
  usage: StepUsage | null;
  finishReason: string;
}

/**
 * One model call through the AI SDK, streamed: the tools are offered without `execute`, so the
 * SDK stops after this step and hands back the calls; the loop records them and runs them itself
 * (durably). 429 and 5xx answers are retried by the SDK (`maxRetries`, honouring Retry-After).
 */
export async function modelStep(opts: {
  model: ResolvedModel;
  instructions: string;
  messages: ModelMessage[];
  tools: ToolSpec[];
  maxOutputTokens: number | null;
  signal: AbortSignal;
  onText(text: string): void;
  onReasoning(text: string): void;
  /** A fragment of a tool call's arguments as the model streams them. */
  onToolInput(call: { id: string; tool: string }, delta: string): void;
}): Promise<ModelStepResult> {
  const inputs = new Map<string, string>();
  const tools: ToolSet = {};
  for (const t of opts.tools) tools[t.name] = tool({ description: t.description, inputSchema: jsonSchema(withoutSchemaKeyword(t.inputSchema) as never) });
  let failure: unknown = null;
  // The alias's timeout as its own signal: a call it ends fails with a TimeoutError (a provider failure), not an abort.
  const signal = opts.model.timeoutMs ? AbortSignal.any([opts.signal, AbortSignal.timeout(opts.model.timeoutMs)]) : opts.signal;
  const result = streamText({
    model: opts.model.model,
    instructions: opts.instructions || undefined,
    messages: opts.messages,
    tools: opts.tools.length > 0 ? tools : undefined,
    maxOutputTokens: opts.maxOutputTokens ?? undefined,
    maxRetries: opts.model.maxRetries,
    abortSignal: signal,
    onError: ({ error }) => {
      failure ??= error;
    },
  });
  const out: ModelStepResult = { text: '', reasoning: '', toolCalls: [], usage: null, finishReason: 'unknown' };
  for await (const part of result.fullStream) {
    if (part.type === 'text-delta') {
      out.text += part.text;
      opts.onText(part.text);
    } else if (part.type === 'reasoning-delta') {
      out.reasoning += part.text;
      opts.onReasoning(part.text);
    } else if (part.type === 'tool-input-start') {
      inputs.set(part.id, part.toolName);
    } else if (part.type === 'tool-input-delta') {
      opts.onToolInput({ id: part.id, tool: inputs.get(part.id) ?? '' }, part.delta);
    } else if (part.type === 'tool-call') {
      out.toolCalls.push({ id: part.toolCallId, name: part.toolName, args: part.input });
    } else if (part.type === 'finish-step') {
      out.finishReason = part.finishReason;
      const u = part.usage;
      // Both counts or none: a response that gives only one is usage missing, never a zero.
      const input = tokenCount(u.inputTokens);
      const output = tokenCount(u.outputTokens);
      if (input !== null && output !== null && rawCountsPresent(u.raw)) {
        out.usage = { input_tokens: input, output_tokens: output, total_tokens: tokenCount(u.totalTokens) ?? input + output, cached_input_tokens: tokenCount(u.inputTokenDetails?.cacheReadTokens) ?? 0 };
      }
    } else if (part.type === 'error') {
      failure ??= part.error;
    } else if (part.type === 'abort') {
      failure ??= signal.reason ?? new Error('the model call was aborted');
    }
  }
  if (failure) throw failure;
  return out;
}

/**
 * Whether the provider's own figures (`usage.raw`, as the SDK keeps them) hold both counts: the
 * OpenAI-compatible provider turns an absent `prompt_tokens` or `completion_tokens` into 0, so a
 * response of that shape is judged by its raw fields. Other shapes are judged by the SDK's counts.
 */
function rawCountsPresent(raw: unknown): boolean {
  if (!raw || typeof raw !== 'object') return true;
  const r = raw as Record<string, unknown>;
  if (!('prompt_tokens' in r) && !('completion_tokens' in r)) return true;
  return tokenCount(r.prompt_tokens) !== null && tokenCount(r.completion_tokens) !== null;
}
