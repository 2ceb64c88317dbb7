/**
 * One workflow step: its shape, checked field by field with paths (`spec.steps[2].wait.timeout`),
 * its templates compiled. How steps relate (needs, cycles, what each may read) is
 * workflow-graph.ts.
 */
import { parseDuration } from './duration.ts';
import type { FieldProblem } from './errors.ts';
import { AGENT_NAME_PATTERN, ENDPOINT_NAME_PATTERN, checkKeys, validateApprovalSpec, validateRetry } from './manifest.ts';
import type { ApprovalSpec, RetryPolicy } from './wire.ts';
import { compileExpression, compileTemplate, hasTemplate, type CompiledExpression, type CompiledTemplate } from './workflow-expressions.ts';

export const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]{0,62}$/;
/** Signal names travel in a URL path segment (`/v1/runs/{id}/signals/{name}`). */
export const SIGNAL_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/;
export const STEP_TYPES = ['agent', 'approval', 'wait'] as const;
export type StepType = (typeof STEP_TYPES)[number];
/** A `for_each` step without `concurrency` runs this many items at once. */
export const DEFAULT_FOR_EACH_CONCURRENCY = 10;
export const MAX_FOR_EACH_CONCURRENCY = 1000;
const MAX_NEEDS = 100;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i;

interface StepBase {
  id: string;
  /** Position in `spec.steps` as written. */
  index: number;
  /** `spec.steps[<index>]`, the prefix of every problem about this step. */
  path: string;
  description: string | null;
  needs: string[];
  /** `if`: the step is skipped when it is falsy. */
  condition: CompiledExpression | null;
  /**
   * The step's direct and indirect needs, in written order (filled by the graph check): the only
   * steps its expressions may read, so the only ones the runtime needs to put in its scope.
   */
  upstream: string[];
}

/** Calls an agent endpoint as a child run (one per item with `for_each`). */
export interface AgentStep extends StepBase {
  type: 'agent';
  agent: string;
  endpoint: string;
  /** The child run's input; `{}` when not written. `item` and `index` are in scope with for_each. */
  input: CompiledTemplate;
  /** null: the endpoint's own policy. */
  retry: RetryPolicy | null;
  /** Per attempt; null: the endpoint's own timeout. */
  timeout_ms: number | null;
  /** A list, or a template that gives one: a child run per item. */
  for_each: CompiledTemplate | null;
  /** Items running at once with for_each (DEFAULT_FOR_EACH_CONCURRENCY when not written). */
  concurrency: number | null;
}

/** A human gate: an approval with a templated prompt. */
export interface ApprovalStep extends StepBase {
  type: 'approval';
  /** As agent manifests write it; `prompt` here is the template's source text. */
  approval: ApprovalSpec;
  prompt: CompiledTemplate;
}

export type WaitSpec =
  | { kind: 'duration'; duration_ms: number }
  /** An RFC 3339 time, or a template that gives one. */
  | { kind: 'until'; until: CompiledTemplate }
  /** Waits for a signal of this name to the workflow run; `timeout_ms` null: forever. */
  | { kind: 'signal'; signal: string; timeout_ms: number | null };

export interface WaitStep extends StepBase {
  type: 'wait';
  wait: WaitSpec;
}

export type WorkflowStep = AgentStep | ApprovalStep | WaitStep;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const STEP_KEYS = ['id', 'description', 'needs', 'if', 'agent', 'endpoint', 'input', 'retry', 'timeout', 'for_each', 'concurrency', 'approval', 'wait'];
/** Fields only an agent step takes. */
const AGENT_ONLY = ['input', 'retry', 'timeout', 'for_each', 'concurrency'];

function stepType(raw: Record<string, unknown>, path: string, problems: FieldProblem[]): StepType | null {
  const present = (['agent', 'approval', 'wait'] as const).filter((k) => raw[k] !== undefined || (k === 'agent' && raw.endpoint !== undefined));
  if (present.length === 0) {
    problems.push({ path, message: 'a step is one of: agent + endpoint (a call), approval (a human gate), wait (a timer or a signal)' });
    return null;
  }
  for (const extra of present.slice(1)) problems.push({ path: `${path}.${extra}`, message: `a step is exactly one of agent + endpoint, approval, wait; this one is already ${present[0] === 'agent' ? 'an agent call' : `a${present[0] === 'approval' ? 'n' : ''} ${present[0]} step`}` });
  return present[0];
}

function needsOf(raw: unknown, path: string, problems: FieldProblem[]): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_NEEDS) {
    problems.push({ path, message: `must be a list of up to ${MAX_NEEDS} step ids` });
    return [];
  }
  const needs: string[] = [];
  raw.forEach((n, i) => {
    if (typeof n !== 'string' || !STEP_ID_PATTERN.test(n)) problems.push({ path: `${path}[${i}]`, message: 'must be a step id' });
    else if (needs.includes(n)) problems.push({ path: `${path}[${i}]`, message: `lists ${n} twice` });
    else needs.push(n);
  });
  return needs;
}

/** `if`: a bare expression; `{% expr %}` is taken too. */
function conditionOf(raw: unknown, path: string, problems: FieldProblem[]): CompiledExpression | null {
  if (raw === undefined) return null;
  if (typeof raw !== 'string') {
    problems.push({ path, message: 'must be an expression (a string), such as "steps.review.output.approved"' });
    return null;
  }
  const whole = /^\{%([\s\S]*)%\}$/.exec(raw);
  if (hasTemplate(raw) && (!whole || hasTemplate(whole[1]))) {
    problems.push({ path, message: 'is one expression, written bare or as "{% expr %}", not text with {% %} parts' });
    return null;
  }
  return compileExpression(whole ? whole[1] : raw, path, problems);
}

function durationOf(raw: unknown, path: string, problems: FieldProblem[], min = 1): number | null {
  if (raw === undefined || raw === null) return null;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < min) {
    problems.push({ path, message: `must be a duration such as "30s", "5m", "2h" or milliseconds${min > 1 ? `, at least ${min} ms` : ', above zero'}` });
    return null;
  }
  return ms;
}

function forEachOf(raw: unknown, path: string, problems: FieldProblem[]): CompiledTemplate | null {
  if (raw === undefined) return null;
  if (Array.isArray(raw)) return compileTemplate(raw, path, problems);
  if (typeof raw === 'string' && /^\{%[\s\S]*%\}$/.test(raw)) {
    const t = compileTemplate(raw, path, problems);
    if (t.kind === 'expression' || t.kind === 'value') return t;
  }
  problems.push({ path, message: 'must be a list, or one "{% expression %}" that gives a list' });
  return null;
}

function agentFields(raw: Record<string, unknown>, base: StepBase, problems: FieldProblem[]): AgentStep {
  const { path } = base;
  const step: AgentStep = { ...base, type: 'agent', agent: '', endpoint: '', input: { kind: 'value', value: {} }, retry: null, timeout_ms: null, for_each: null, concurrency: null };
  if (typeof raw.agent !== 'string' || !AGENT_NAME_PATTERN.test(raw.agent)) problems.push({ path: `${path}.agent`, message: 'is required with endpoint: an agent name (lower-case letters, digits and "-")' });
  else step.agent = raw.agent;
  if (typeof raw.endpoint !== 'string' || !ENDPOINT_NAME_PATTERN.test(raw.endpoint)) problems.push({ path: `${path}.endpoint`, message: 'is required with agent: an endpoint name' });
  else step.endpoint = raw.endpoint;
  if (raw.input !== undefined) step.input = compileTemplate(raw.input, `${path}.input`, problems);
  if (raw.retry !== undefined) step.retry = validateRetry(raw.retry, `${path}.retry`, problems);
  step.timeout_ms = durationOf(raw.timeout, `${path}.timeout`, problems);
  step.for_each = forEachOf(raw.for_each, `${path}.for_each`, problems);
  if (raw.concurrency !== undefined) {
    const c = raw.concurrency;
    if (raw.for_each === undefined) problems.push({ path: `${path}.concurrency`, message: 'is only for a for_each step' });
    else if (!Number.isInteger(c) || (c as number) < 1 || (c as number) > MAX_FOR_EACH_CONCURRENCY) problems.push({ path: `${path}.concurrency`, message: `must be an integer from 1 to ${MAX_FOR_EACH_CONCURRENCY}` });
    else step.concurrency = c as number;
  }
  if (step.for_each && step.concurrency === null) step.concurrency = DEFAULT_FOR_EACH_CONCURRENCY;
  return step;
}

function approvalFields(raw: Record<string, unknown>, base: StepBase, problems: FieldProblem[]): ApprovalStep {
  const path = `${base.path}.approval`;
  const approval = validateApprovalSpec(raw.approval, path, problems) ?? { prompt: '', timeout_ms: null, on_timeout: 'reject', assignees: [], required_approvals: 1 };
  return { ...base, type: 'approval', approval, prompt: compileTemplate(approval.prompt, `${path}.prompt`, problems) };
}

function waitFields(raw: Record<string, unknown>, base: StepBase, problems: FieldProblem[]): WaitStep {
  const path = `${base.path}.wait`;
  const fallback: WaitStep = { ...base, type: 'wait', wait: { kind: 'duration', duration_ms: 0 } };
  const w = raw.wait;
  if (!isObject(w)) {
    problems.push({ path, message: 'must be an object: {duration}, {until} or {signal, timeout?}' });
    return fallback;
  }
  checkKeys(w, ['duration', 'until', 'signal', 'timeout'], path, problems);
  const kinds = (['duration', 'until', 'signal'] as const).filter((k) => w[k] !== undefined);
  if (kinds.length !== 1) {
    problems.push({ path, message: kinds.length === 0 ? 'says what to wait for: duration, until or signal' : `waits for one thing: ${kinds.join(' and ')} are given` });
    return fallback;
  }
  if (w.timeout !== undefined && kinds[0] !== 'signal') problems.push({ path: `${path}.timeout`, message: 'is only for a signal wait' });
  if (kinds[0] === 'duration') {
    return { ...fallback, wait: { kind: 'duration', duration_ms: durationOf(w.duration, `${path}.duration`, problems) ?? 0 } };
  }
  if (kinds[0] === 'until') {
    const u = w.until;
    if (typeof u !== 'string' || (!hasTemplate(u) && (!RFC3339.test(u) || Number.isNaN(Date.parse(u))))) {
      problems.push({ path: `${path}.until`, message: 'must be an RFC 3339 time (2026-05-01T09:00:00Z) or a "{% expression %}" that gives one' });
      return fallback;
    }
    return { ...fallback, wait: { kind: 'until', until: compileTemplate(u, `${path}.until`, problems) } };
  }
  if (typeof w.signal !== 'string' || !SIGNAL_NAME_PATTERN.test(w.signal)) {
    problems.push({ path: `${path}.signal`, message: 'must be a signal name: letters, digits, "_", ".", ":" and "-", starting with a letter, at most 128' });
    return fallback;
  }
  return { ...fallback, wait: { kind: 'signal', signal: w.signal, timeout_ms: durationOf(w.timeout, `${path}.timeout`, problems) } };
}

/**
 * Checks one entry of `spec.steps`. Null when it is not an object or has no usable id (nothing
 * can refer to it then); its other problems are reported all the same.
 */
export function validateStep(raw: unknown, index: number, problems: FieldProblem[]): WorkflowStep | null {
  const path = `spec.steps[${index}]`;
  if (!isObject(raw)) {
    problems.push({ path, message: 'must be an object' });
    return null;
  }
  checkKeys(raw, STEP_KEYS, path, problems);
  let id: string | null = null;
  if (typeof raw.id !== 'string' || !STEP_ID_PATTERN.test(raw.id)) {
    problems.push({ path: `${path}.id`, message: 'is required: lower-case letters, digits, "_" and "-", starting with a letter, at most 63' });
  } else id = raw.id;
  let description: string | null = null;
  if (raw.description !== undefined) {
    if (typeof raw.description !== 'string') problems.push({ path: `${path}.description`, message: 'must be a string' });
    else description = raw.description;
  }
  const base: StepBase = {
    id: id ?? '',
    index,
    path,
    description,
    needs: needsOf(raw.needs, `${path}.needs`, problems),
    condition: conditionOf(raw.if, `${path}.if`, problems),
    upstream: [],
  };
  const type = stepType(raw, path, problems);
  if (type !== 'agent') {
    for (const k of AGENT_ONLY) if (raw[k] !== undefined) problems.push({ path: `${path}.${k}`, message: 'is only for an agent step (agent + endpoint)' });
  }
  if (type === null) return null;
  const step = type === 'agent' ? agentFields(raw, base, problems) : type === 'approval' ? approvalFields(raw, base, problems) : waitFields(raw, base, problems);
  return id === null ? null : step;
}
