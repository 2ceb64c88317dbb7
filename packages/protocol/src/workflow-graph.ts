/**
 * How a workflow's steps relate: unique ids, `needs` that name steps, no cycle, and expressions
 * that read only what is sure to have finished (a step's direct and indirect needs).
 */
import type { FieldProblem } from './errors.ts';
import { templateExpressions, type CompiledExpression, type CompiledTemplate } from './workflow-expressions.ts';
import type { WorkflowStep } from './workflow-steps.ts';

export interface WorkflowGraph {
  /** A topological order: every step after its needs, ties in written order. */
  order: string[];
  /** Steps no other step needs: their outputs make the default workflow output. */
  leaves: string[];
}

/** Drops steps whose id another step already took, with a problem at the later one. */
function uniqueSteps(steps: WorkflowStep[], problems: FieldProblem[]): Map<string, WorkflowStep> {
  const byId = new Map<string, WorkflowStep>();
  for (const s of steps) {
    const first = byId.get(s.id);
    if (first) problems.push({ path: `${s.path}.id`, message: `duplicates the id of ${first.path} (${s.id})` });
    else byId.set(s.id, s);
  }
  return byId;
}

/**
 * Depth-first over `needs`; a need that leads back to a step still being visited closes a cycle,
 * reported at that need's path with the cycle spelled out. Returns a topological order.
 */
function orderSteps(byId: Map<string, WorkflowStep>, problems: FieldProblem[]): string[] {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];
  const visit = (step: WorkflowStep): void => {
    state.set(step.id, 'visiting');
    stack.push(step.id);
    step.needs.forEach((need, i) => {
      const next = byId.get(need);
      if (!next) return;
      const seen = state.get(need);
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(need)), need];
        problems.push({ path: `${step.path}.needs[${i}]`, message: `closes a cycle: ${cycle.join(' → ')} (as needs read: each step waits for the next)` });
      } else if (seen === undefined) visit(next);
    });
    stack.pop();
    state.set(step.id, 'done');
    order.push(step.id);
  };
  for (const step of byId.values()) if (!state.has(step.id)) visit(step);
  return order;
}

/** Each step's direct and indirect needs, in written order; safe on a graph with a cycle. */
function upstreamOf(byId: Map<string, WorkflowStep>): Map<string, string[]> {
  const written = [...byId.keys()];
  const result = new Map<string, string[]>();
  for (const step of byId.values()) {
    const seen = new Set<string>();
    const todo = [...step.needs];
    while (todo.length > 0) {
      const id = todo.pop() as string;
      if (seen.has(id) || !byId.has(id)) continue;
      seen.add(id);
      todo.push(...(byId.get(id) as WorkflowStep).needs);
    }
    seen.delete(step.id);
    result.set(step.id, written.filter((id) => seen.has(id)));
  }
  return result;
}

/** What one expression may read: the names at the root of its scope, and which steps. */
export interface ReadRules {
  /** Root names besides `input` and `steps`: `item` and `index` in a for_each step's input. */
  extraRoots: string[];
  /** Steps it may read; null: every step (the workflow's output). */
  steps: ReadonlySet<string> | null;
  /** The step the expression belongs to, if any. */
  self: string | null;
  known: ReadonlySet<string>;
}

/** Problems of one expression's references under `rules`, at the expression's path. */
export function checkReads(e: CompiledExpression, rules: ReadRules, problems: FieldProblem[]): void {
  const roots = ['input', 'steps', ...rules.extraRoots];
  for (const ref of e.references) {
    const at = `(position ${ref.position})`;
    if (!roots.includes(ref.name)) {
      const forEach = ref.name === 'item' || ref.name === 'index' ? `; ${ref.name} is in scope only in the input of a for_each step` : '';
      problems.push({ path: e.path, message: `unknown name ${ref.name} ${at}: expressions read ${roots.join(', ')}${forEach}` });
    } else if (ref.name !== 'steps') continue;
    else if (ref.step === null) problems.push({ path: e.path, message: `name the step ${at}: steps.<id>.output or steps.<id>.status` });
    else if (!rules.known.has(ref.step)) {
      const dashed = [...rules.known].find((id) => id.startsWith(`${ref.step}-`));
      const hint = dashed ? `; a step id with "-" is written in backquotes: steps.\`${dashed}\`` : '';
      problems.push({ path: e.path, message: `no step named ${ref.step} ${at}${hint}` });
    } else if (ref.step === rules.self) problems.push({ path: e.path, message: `a step cannot read its own output (steps.${ref.step}, ${at})` });
    else if (rules.steps && !rules.steps.has(ref.step)) {
      problems.push({ path: e.path, message: `steps.${ref.step} ${at} is not among this step's needs, direct or indirect, so it may not have run yet: add it to needs` });
    } else if (ref.field !== null && ref.field !== 'output' && ref.field !== 'status') {
      problems.push({ path: e.path, message: `steps.${ref.step}.${ref.field} ${at}: a step offers output and status` });
    }
  }
}

const exprs = (t: CompiledTemplate | null): CompiledExpression[] => (t ? templateExpressions(t) : []);

/** Every expression of a step with the extra root names it may use. */
function stepExpressions(step: WorkflowStep): { e: CompiledExpression; extraRoots: string[] }[] {
  const plain = (es: CompiledExpression[]) => es.map((e) => ({ e, extraRoots: [] as string[] }));
  const out = plain(step.condition ? [step.condition] : []);
  if (step.type === 'agent') {
    out.push(...plain(exprs(step.for_each)));
    out.push(...exprs(step.input).map((e) => ({ e, extraRoots: step.for_each ? ['item', 'index'] : [] })));
  } else if (step.type === 'approval') out.push(...plain(exprs(step.prompt)));
  else if (step.wait.kind === 'until') out.push(...plain(exprs(step.wait.until)));
  return out;
}

/**
 * Checks ids, needs, cycles and what every expression reads; fills each step's `upstream`.
 * `output`: the workflow's output template, which may read every step.
 */
export function checkGraph(steps: WorkflowStep[], output: CompiledTemplate | null, problems: FieldProblem[]): WorkflowGraph {
  const byId = uniqueSteps(steps, problems);
  for (const step of byId.values()) {
    step.needs.forEach((need, i) => {
      if (need === step.id) problems.push({ path: `${step.path}.needs[${i}]`, message: 'a step cannot need itself' });
      else if (!byId.has(need)) problems.push({ path: `${step.path}.needs[${i}]`, message: `no step named ${need}` });
    });
  }
  const order = orderSteps(byId, problems);
  const upstream = upstreamOf(byId);
  const known = new Set(byId.keys());
  for (const step of byId.values()) {
    step.upstream = upstream.get(step.id) ?? [];
    const visible = new Set(step.upstream);
    for (const { e, extraRoots } of stepExpressions(step)) checkReads(e, { extraRoots, steps: visible, self: step.id, known }, problems);
  }
  for (const e of exprs(output)) checkReads(e, { extraRoots: [], steps: null, self: null, known }, problems);
  const needed = new Set([...byId.values()].flatMap((s) => s.needs));
  return { order, leaves: [...byId.keys()].filter((id) => !needed.has(id)) };
}
