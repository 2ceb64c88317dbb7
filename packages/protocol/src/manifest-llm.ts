/**
 * The `spec` of a `runtime: llm` agent: the server runs a model in a loop with tools. Validated
 * here (offline, for `agentd validate` too); which alias, agent or MCP server a name refers to is
 * checked by the server when a run starts.
 */
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { parseDuration } from './duration.ts';
import type { FieldProblem } from './errors.ts';
import { compileExpression } from './workflow-expressions.ts';

/** When a tool call waits for a person: never, always, or when a rule on its arguments holds (`amount > 100`). */
export type ToolApproval = { kind: 'never' } | { kind: 'always' } | { kind: 'rule'; expression: string };

interface ToolCommon {
  approval: ToolApproval;
  /** What the approver is shown besides the tool and its arguments. */
  approval_prompt?: string;
  description?: string;
  /** The name the model calls it by; defaults per kind. */
  name?: string;
}

export type LlmToolSpec =
  | (ToolCommon & { kind: 'agent'; agent: string; endpoint: string })
  | (ToolCommon & { kind: 'http_fetch'; allow: string[]; headers?: Record<string, string> })
  | (ToolCommon & { kind: 'mcp_server'; server: string });

export interface LlmLimits {
  /** Model calls per run. Default 20. */
  max_steps: number;
  /** Output tokens per model call; null: the provider's default. */
  max_output_tokens: number | null;
  /** Input + output tokens over the run; null: no cap. */
  max_total_tokens: number | null;
  /** US dollars over the run (from the alias's prices); null: no cap. */
  max_cost_usd: number | null;
}

/**
 * Which of a session's earlier turns a run sends its model (`spec.context`): the newest
 * `max_messages`, or the newest that fit `max_tokens` (estimated), the oldest dropped. Both:
 * the stricter one wins. Null: the server's default (the newest 200 messages).
 */
export interface LlmContextPolicy {
  max_messages?: number;
  max_tokens?: number;
}

export interface LlmSpec {
  model: string;
  instructions: string;
  tools: LlmToolSpec[];
  limits: LlmLimits;
  /** A JSON Schema the final answer must satisfy (structured output); null: free text. */
  output: Record<string, unknown> | null;
  /** `limits.timeout` in ms (each endpoint's attempt timeout), or null when not given. */
  timeout_ms: number | null;
  /** The context-window policy of its session runs, or null for the default. */
  context: LlmContextPolicy | null;
}

export const DEFAULT_LLM_MAX_STEPS = 20;
/** The endpoint an LLM agent gets when its manifest declares none: `{"message": "..."}` in. */
export const DEFAULT_LLM_ENDPOINT = 'chat';
export const DEFAULT_LLM_INPUT_SCHEMA = {
  type: 'object',
  properties: { message: { type: 'string', minLength: 1 } },
  required: ['message'],
};
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function keys(obj: Record<string, unknown>, allowed: string[], path: string, problems: FieldProblem[]): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) problems.push({ path: `${path}.${k}`, message: 'unknown field' });
}

function approvalOf(raw: unknown, path: string, problems: FieldProblem[]): ToolApproval {
  if (raw === undefined || raw === 'never' || raw === false) return { kind: 'never' };
  if (raw === 'always' || raw === true) return { kind: 'always' };
  if (typeof raw !== 'string') {
    problems.push({ path, message: 'must be "never", "always" or an expression on the arguments such as "amount > 100"' });
    return { kind: 'never' };
  }
  compileExpression(raw, path, problems);
  return { kind: 'rule', expression: raw };
}

function positiveInt(raw: unknown, path: string, problems: FieldProblem[]): number | null {
  if (raw === undefined || raw === null) return null;
  if (!Number.isInteger(raw) || (raw as number) < 1) {
    problems.push({ path, message: 'must be a positive integer' });
    return null;
  }
  return raw as number;
}

function toolOf(raw: unknown, path: string, problems: FieldProblem[]): LlmToolSpec | null {
  if (!isObject(raw)) {
    problems.push({ path, message: 'must be an object: {agent, endpoint}, {http_fetch: {allow}} or {mcp_server: name}' });
    return null;
  }
  const common: ToolCommon = { approval: approvalOf(raw.approval, `${path}.approval`, problems) };
  const shared = ['approval', 'approval_prompt', 'description', 'name'];
  if (raw.approval_prompt !== undefined) {
    if (typeof raw.approval_prompt !== 'string' || raw.approval_prompt.length > 10_000) problems.push({ path: `${path}.approval_prompt`, message: 'must be a string of at most 10000 characters' });
    else common.approval_prompt = raw.approval_prompt;
  }
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string' || raw.description.length > 4000) problems.push({ path: `${path}.description`, message: 'must be a string of at most 4000 characters' });
    else common.description = raw.description;
  }
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string' || !TOOL_NAME_PATTERN.test(raw.name)) problems.push({ path: `${path}.name`, message: 'must be 1 to 64 letters, digits, "_" or "-"' });
    else common.name = raw.name;
  }
  if (raw.agent !== undefined) {
    keys(raw, ['agent', 'endpoint', ...shared], path, problems);
    if (typeof raw.agent !== 'string' || raw.agent.length === 0) problems.push({ path: `${path}.agent`, message: 'must be an agent name' });
    if (typeof raw.endpoint !== 'string' || raw.endpoint.length === 0) problems.push({ path: `${path}.endpoint`, message: 'is required with agent: the endpoint to call' });
    return { ...common, kind: 'agent', agent: String(raw.agent), endpoint: String(raw.endpoint) };
  }
  if (raw.http_fetch !== undefined) {
    keys(raw, ['http_fetch', ...shared], path, problems);
    const f = raw.http_fetch;
    if (!isObject(f)) {
      problems.push({ path: `${path}.http_fetch`, message: 'must be an object: {allow: [host, ...]}' });
      return null;
    }
    keys(f, ['allow', 'headers'], `${path}.http_fetch`, problems);
    const allow = f.allow;
    if (!Array.isArray(allow) || allow.length === 0 || !allow.every((h) => typeof h === 'string' && h.length > 0)) {
      problems.push({ path: `${path}.http_fetch.allow`, message: 'must list at least one host' });
    }
    const spec: LlmToolSpec = { ...common, kind: 'http_fetch', allow: Array.isArray(allow) ? allow.map(String) : [] };
    if (f.headers !== undefined) {
      if (!isObject(f.headers) || !Object.values(f.headers).every((v) => typeof v === 'string')) problems.push({ path: `${path}.http_fetch.headers`, message: 'must map header names to strings' });
      else spec.headers = f.headers as Record<string, string>;
    }
    return spec;
  }
  if (raw.mcp_server !== undefined) {
    keys(raw, ['mcp_server', ...shared], path, problems);
    if (typeof raw.mcp_server !== 'string' || raw.mcp_server.length === 0) problems.push({ path: `${path}.mcp_server`, message: 'must be the name of a registered MCP server' });
    return { ...common, kind: 'mcp_server', server: String(raw.mcp_server) };
  }
  problems.push({ path, message: 'must name agent (with endpoint), http_fetch or mcp_server' });
  return null;
}

function contextOf(raw: unknown, problems: FieldProblem[]): LlmContextPolicy | null {
  if (!isObject(raw)) {
    problems.push({ path: 'spec.context', message: 'must be an object: {max_messages?, max_tokens?}' });
    return null;
  }
  if (raw.summarize !== undefined) problems.push({ path: 'spec.context.summarize', message: 'summarising dropped messages is not supported yet: they are dropped' });
  keys(raw, ['max_messages', 'max_tokens', 'summarize'], 'spec.context', problems);
  const policy: LlmContextPolicy = {};
  const maxMessages = positiveInt(raw.max_messages, 'spec.context.max_messages', problems);
  const maxTokens = positiveInt(raw.max_tokens, 'spec.context.max_tokens', problems);
  if (maxMessages !== null) policy.max_messages = maxMessages;
  if (maxTokens !== null) policy.max_tokens = maxTokens;
  if (maxMessages === null && maxTokens === null && raw.max_messages === undefined && raw.max_tokens === undefined) problems.push({ path: 'spec.context', message: 'must set max_messages, max_tokens or both' });
  return policy;
}

/** The LLM fields of `spec` (runtime: llm), every problem with its path. */
export function validateLlmSpec(ajv: Ajv2020, spec: Record<string, unknown>, problems: FieldProblem[]): LlmSpec {
  const out: LlmSpec = {
    model: '',
    instructions: '',
    tools: [],
    limits: { max_steps: DEFAULT_LLM_MAX_STEPS, max_output_tokens: null, max_total_tokens: null, max_cost_usd: null },
    output: null,
    timeout_ms: null,
    context: null,
  };
  if (typeof spec.model !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(spec.model)) problems.push({ path: 'spec.model', message: 'is required: a model alias of the server config (models:)' });
  else out.model = spec.model;
  if (spec.instructions !== undefined) {
    if (typeof spec.instructions !== 'string' || spec.instructions.length > 100_000) problems.push({ path: 'spec.instructions', message: 'must be a string of at most 100000 characters' });
    else out.instructions = spec.instructions;
  }
  if (spec.tools !== undefined) {
    if (!Array.isArray(spec.tools) || spec.tools.length > 128) problems.push({ path: 'spec.tools', message: 'must be a list of at most 128 tools' });
    else spec.tools.forEach((t, i) => {
      const tool = toolOf(t, `spec.tools.${i}`, problems);
      if (tool) out.tools.push(tool);
    });
  }
  if (spec.limits !== undefined) {
    const l = spec.limits;
    if (!isObject(l)) problems.push({ path: 'spec.limits', message: 'must be an object' });
    else {
      keys(l, ['max_steps', 'max_output_tokens', 'max_total_tokens', 'max_cost_usd', 'max_cost', 'timeout'], 'spec.limits', problems);
      out.limits.max_steps = positiveInt(l.max_steps, 'spec.limits.max_steps', problems) ?? DEFAULT_LLM_MAX_STEPS;
      out.limits.max_output_tokens = positiveInt(l.max_output_tokens, 'spec.limits.max_output_tokens', problems);
      out.limits.max_total_tokens = positiveInt(l.max_total_tokens, 'spec.limits.max_total_tokens', problems);
      const cost = l.max_cost_usd ?? l.max_cost;
      if (cost !== undefined) {
        if (typeof cost !== 'number' || !(cost > 0)) problems.push({ path: 'spec.limits.max_cost_usd', message: 'must be a positive number of US dollars' });
        else out.limits.max_cost_usd = cost;
      }
      if (l.timeout !== undefined) {
        const ms = parseDuration(l.timeout);
        if (ms === undefined || ms < 1) problems.push({ path: 'spec.limits.timeout', message: 'must be a duration such as "5m"' });
        else out.timeout_ms = ms;
      }
    }
  }
  if (spec.output !== undefined) {
    if (!isObject(spec.output) || !ajv.validateSchema(spec.output)) problems.push({ path: 'spec.output', message: 'must be a JSON Schema object' });
    else out.output = spec.output;
  }
  if (spec.context !== undefined) out.context = contextOf(spec.context, problems);
  const names = new Set<string>();
  out.tools.forEach((t, i) => {
    const name = toolName(t);
    if (names.has(name)) problems.push({ path: `spec.tools.${i}`, message: `a second tool named ${JSON.stringify(name)}: give one a name` });
    names.add(name);
  });
  return out;
}

/** The name the model calls a tool by: its `name`, else `<agent>_<endpoint>`, `http_fetch`, or `<server>` (MCP: each of its tools is `<server>_<tool>`). */
export function toolName(t: LlmToolSpec): string {
  if (t.name) return t.name;
  if (t.kind === 'agent') return `${t.agent}_${t.endpoint}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
  if (t.kind === 'http_fetch') return 'http_fetch';
  return t.server.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64);
}
