/**
 * Workflow templates and conditions in JSONata (no `eval`): parsed once at registration, their
 * syntax trees walked for the names they read from the scope, evaluated by the runtime.
 *
 * A string value that is exactly `{% expr %}` evaluates to the expression's value (any JSON
 * type); a string holding `{% … %}` parts among text interpolates each part as text. A condition
 * (`if`) is a bare expression, truthy by JSONata's `$boolean` rules. The scope an expression sees
 * is `{input, steps: {<id>: {output, status}}, item?, index?}`.
 */
import jsonata from 'jsonata';
import type { FieldProblem } from './errors.ts';

/**
 * Guardrails for one evaluation. The runtime evaluates inside the transaction that moves a
 * workflow, so an expression that loops (a recursive lambda, a huge range) must end quickly
 * instead of holding the database's writer: JSONata checks the time and the depth between its
 * evaluation steps, and the length of every sequence it builds.
 */
export const EXPRESSION_LIMITS = { timeout: 250, stack: 200, sequence: 100_000 } as const;
/** Longer expressions are refused at registration: a template is a short formula, not a program. */
export const MAX_EXPRESSION_LENGTH = 4000;

/** A name the expression reads from the root of the scope, with what follows it when it is `steps`. */
export interface RootReference {
  /** `input`, `steps`, `item`, `index`, or whatever the expression wrongly names. */
  name: string;
  /** For `steps.<id>…`: the step id; null when `steps` is used without a literal id after it. */
  step: string | null;
  /** For `steps.<id>.<field>…`: the field when it is a literal name (`output`, `status`). */
  field: string | null;
  /** Character offset in the expression, as JSONata reports it. */
  position: number;
}

export interface CompiledExpression {
  source: string;
  /** Where the expression is written in the definition (`spec.steps[2].input.notes`). */
  path: string;
  expression: jsonata.Expression;
  references: RootReference[];
}

/** A JSON value with its templates compiled; `value` holds no template at all. */
export type CompiledTemplate =
  | { kind: 'value'; value: unknown }
  | { kind: 'expression'; expression: CompiledExpression }
  | { kind: 'text'; parts: (string | CompiledExpression)[] }
  | { kind: 'array'; items: CompiledTemplate[] }
  | { kind: 'object'; entries: [string, CompiledTemplate][] };

/** What an expression is evaluated against. */
export interface ExpressionScope {
  input: unknown;
  steps: Record<string, { output: unknown; status: string }>;
  item?: unknown;
  index?: number;
}

/** An expression failed at run time (a type error, a guardrail); the runtime fails the step with it. */
export class ExpressionError extends Error {
  readonly path: string;
  readonly source: string;
  /** JSONata's error code (`T2001`, `D1012`…), or `A0001` for a result that is not JSON. */
  readonly code: string;
  readonly position: number | null;
  constructor(opts: { path: string; source: string; code: string; message: string; position: number | null }) {
    super(`${opts.path}: ${opts.message}`);
    this.name = 'ExpressionError';
    this.path = opts.path;
    this.source = opts.source;
    this.code = opts.code;
    this.position = opts.position;
  }
}

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Walks a JSONata syntax tree for the names read from the root of the scope. `atRoot`: the
 * expression's context is the scope itself (not an item inside a path, a predicate or a sort),
 * so a leading name there reads the scope: `steps.a.output` at the top, but not the `steps` of
 * `input.items[steps > 1]`, which is a field of each item. `$$` always means the scope.
 */
function collect(node: unknown, atRoot: boolean, refs: RootReference[], problems: string[]): void {
  if (Array.isArray(node)) {
    for (const n of node) collect(n, atRoot, refs, problems);
    return;
  }
  if (!isNode(node)) return;
  if (node.type === 'path') return collectPath(node, atRoot, refs, problems);
  if (node.type === 'name' && atRoot) {
    refs.push({ name: String(node.value), step: null, field: null, position: Number(node.position ?? 0) });
    return collectStages(node, refs, problems);
  }
  if (node.type === 'function' || node.type === 'partial') {
    const proc = node.procedure as Node | undefined;
    // `$eval` evaluates a string as JSONata: what it reads cannot be checked at registration.
    if (proc?.type === 'variable' && proc.value === 'eval') problems.push(`$eval is not allowed: what it reads cannot be checked (position ${String(proc.position)})`);
  }
  if (node.type === 'transform') {
    // `|pattern|update|`: both read the value being transformed, not the scope.
    collect(node.pattern, false, refs, problems);
    collect(node.update, false, refs, problems);
    collect(node.delete, false, refs, problems);
    return;
  }
  for (const [key, value] of Object.entries(node)) {
    if (key === 'stages' || key === 'predicate' || key === 'group') collect(value, false, refs, problems);
    else if (typeof value === 'object') collect(value, atRoot, refs, problems);
  }
}

function collectStages(node: Node, refs: RootReference[], problems: string[]): void {
  collect(node.stages, false, refs, problems);
  collect(node.predicate, false, refs, problems);
  collect(node.group, false, refs, problems);
}

function collectPath(node: Node, atRoot: boolean, refs: RootReference[], problems: string[]): void {
  const steps = (node.steps as Node[] | undefined) ?? [];
  collect(node.group, false, refs, problems);
  let chain = steps;
  const first = steps[0];
  // `$$.x` anywhere, and `$.x` where the context is the scope, read the scope's `x`.
  if (first?.type === 'variable' && (first.value === '$' || (first.value === '' && atRoot))) {
    collectStages(first, refs, problems);
    chain = steps.slice(1);
    atRoot = true;
  }
  const head = chain[0];
  if (atRoot && head?.type === 'name') {
    const ref: RootReference = { name: String(head.value), step: null, field: null, position: Number(head.position ?? 0) };
    const id = chain[1];
    const staticSteps = ref.name === 'steps' && !head.stages && !head.predicate;
    if (staticSteps && id?.type === 'name') {
      ref.step = String(id.value);
      const field = chain[2];
      if (field?.type === 'name') ref.field = String(field.value);
    }
    refs.push(ref);
    collectStages(head, refs, problems);
    collect(chain.slice(1), false, refs, problems);
    return;
  }
  if (head) collect(head, atRoot, refs, problems);
  collect(chain.slice(1), false, refs, problems);
}

/**
 * Parses one expression and lists the scope names it reads. Syntax errors, `$eval` and
 * over-long sources become problems at `path`; null then.
 */
export function compileExpression(source: string, path: string, problems: FieldProblem[]): CompiledExpression | null {
  if (source.trim().length === 0) {
    problems.push({ path, message: 'the expression is empty' });
    return null;
  }
  if (source.length > MAX_EXPRESSION_LENGTH) {
    problems.push({ path, message: `the expression is longer than ${MAX_EXPRESSION_LENGTH} characters` });
    return null;
  }
  let expression: jsonata.Expression;
  try {
    expression = jsonata(source, { ...EXPRESSION_LIMITS });
  } catch (err) {
    const e = err as { message?: string; position?: number };
    problems.push({ path, message: `expression syntax error at position ${e.position ?? 0}: ${e.message ?? String(err)}` });
    return null;
  }
  const refs: RootReference[] = [];
  const found: string[] = [];
  collect(expression.ast(), true, refs, found);
  for (const message of found) problems.push({ path, message });
  return found.length > 0 ? null : { source, path, expression, references: refs };
}

/** The `{% … %}` parts of a string, in order; a problem when one is not closed. */
function splitTemplate(text: string, path: string, problems: FieldProblem[]): (string | { expr: string })[] | null {
  const parts: (string | { expr: string })[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{%', at);
    if (open < 0) {
      parts.push(text.slice(at));
      break;
    }
    const close = text.indexOf('%}', open + 2);
    if (close < 0) {
      problems.push({ path, message: `"{%" at character ${open} is never closed with "%}"` });
      return null;
    }
    if (open > at) parts.push(text.slice(at, open));
    parts.push({ expr: text.slice(open + 2, close) });
    at = close + 2;
  }
  return parts;
}

/** Whether a string holds a template (`{%`). */
export const hasTemplate = (text: string): boolean => text.includes('{%');

/** Compiles a JSON value: every string in it (not the keys) may be or hold a template. */
export function compileTemplate(value: unknown, path: string, problems: FieldProblem[]): CompiledTemplate {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return { kind: 'value', value };
    const parts = splitTemplate(value, path, problems);
    if (!parts) return { kind: 'value', value };
    const compiled = parts.map((p) => (typeof p === 'string' ? p : compileExpression(p.expr, path, problems)));
    // A part that failed has its problem already; the others stay, so what they read is checked too.
    const ok = compiled.map((p) => p ?? '');
    if (ok.length === 1 && typeof ok[0] !== 'string') return { kind: 'expression', expression: ok[0] };
    return { kind: 'text', parts: ok };
  }
  if (Array.isArray(value)) {
    const items = value.map((v, i) => compileTemplate(v, `${path}[${i}]`, problems));
    return items.every((t) => t.kind === 'value') ? { kind: 'value', value } : { kind: 'array', items };
  }
  if (isNode(value)) {
    const entries = Object.entries(value).map(([k, v]): [string, CompiledTemplate] => [k, compileTemplate(v, `${path}.${k}`, problems)]);
    return entries.every(([, t]) => t.kind === 'value') ? { kind: 'value', value } : { kind: 'object', entries };
  }
  return { kind: 'value', value };
}

/** Every expression of a template, in document order. */
export function templateExpressions(t: CompiledTemplate): CompiledExpression[] {
  switch (t.kind) {
    case 'value':
      return [];
    case 'expression':
      return [t.expression];
    case 'text':
      return t.parts.filter((p): p is CompiledExpression => typeof p !== 'string');
    case 'array':
      return t.items.flatMap(templateExpressions);
    case 'object':
      return t.entries.flatMap(([, v]) => templateExpressions(v));
  }
}

async function run(e: CompiledExpression, scope: ExpressionScope): Promise<unknown> {
  let result: unknown;
  try {
    result = await e.expression.evaluate(scope);
  } catch (err) {
    const x = err as { code?: string; message?: string; position?: number };
    throw new ExpressionError({ path: e.path, source: e.source, code: x.code ?? 'D0000', message: x.message ?? String(err), position: typeof x.position === 'number' ? x.position : null });
  }
  return toJson(e, result);
}

/** JSONata answers sequences (arrays with extra fields) and may answer functions: only JSON goes on. */
function toJson(e: CompiledExpression, value: unknown): unknown {
  if (value === undefined) return undefined;
  if (typeof value === 'function' || (isNode(value) && '_jsonata_lambda' in value)) {
    throw new ExpressionError({ path: e.path, source: e.source, code: 'A0001', message: 'the expression evaluates to a function, not a JSON value', position: null });
  }
  return JSON.parse(JSON.stringify(value)) as unknown;
}

const asText = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The template's value in `scope`. An expression that matches nothing gives `undefined`: an
 * object leaves that key out, an array holds `null` there (as JSON.stringify does), text an
 * empty string. Throws ExpressionError, naming the template's path, when an expression fails.
 */
export async function evaluateTemplate(t: CompiledTemplate, scope: ExpressionScope): Promise<unknown> {
  switch (t.kind) {
    case 'value':
      return t.value;
    case 'expression':
      return run(t.expression, scope);
    case 'text': {
      let out = '';
      for (const p of t.parts) out += typeof p === 'string' ? p : asText(await run(p, scope));
      return out;
    }
    case 'array': {
      const items: unknown[] = [];
      for (const item of t.items) items.push((await evaluateTemplate(item, scope)) ?? null);
      return items;
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, v] of t.entries) {
        const value = await evaluateTemplate(v, scope);
        if (value !== undefined) out[k] = value;
      }
      return out;
    }
  }
}

/** JSONata's effective boolean value (`$boolean`); no match (`undefined`) is false. */
export function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 1 ? truthy(value[0]) : value.some(truthy);
  if (typeof value === 'string') return value.length > 0;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'boolean') return value;
  if (isNode(value)) return Object.keys(value).length > 0;
  return false;
}

/** A condition's verdict in `scope`. Throws ExpressionError when the expression fails. */
export async function evaluateCondition(e: CompiledExpression, scope: ExpressionScope): Promise<boolean> {
  return truthy(await run(e, scope));
}
