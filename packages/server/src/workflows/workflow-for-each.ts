import { EventType, type RunFailure } from '@agentd/protocol';
import { evaluateTemplate, type AgentStep, type ExpressionScope } from '@agentd/protocol/workflow';
import { appendRunEvents } from '../runs/index.ts';
import type { EndedChild, RunsTable, WorkflowStepsTable, WriteContext } from '../store/index.ts';
import { checkStepInput, createStepChild, stepEndpoint, type StepChildDeps } from './workflow-step-child.ts';

/** The step row of a step itself; a for_each step's items are rows 0, 1, … */
export const SELF = -1;
/** Item rows are inserted this many at a time (SQLite's bound-parameter limit). */
const INSERT_CHUNK = 200;

/** A step that fails as it starts (its for_each is no list, too long…): the driver records it. */
export class StepFailure extends Error {
  readonly failure: RunFailure;
  constructor(failure: RunFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/**
 * for_each steps: one child run per item of a list, at most `concurrency` of them live at once,
 * their outputs collected in item order. Always inside the transaction that moved the workflow.
 *
 * When the step starts, its list and every item's input are evaluated (an expression error or an
 * input that does not fit the endpoint fails the step before any child starts) and each item gets
 * a row (iteration = its index, status `pending`, `input` its child's input). Then, and whenever
 * an item's child ends, `fill` starts the lowest pending items until `concurrency` are running.
 * So the live children of a step are the rows `running`, counted in the transaction that starts
 * the next: never more than `concurrency`, whatever the order children end in. The first item
 * that fails (its child failed for good, timed out or was cancelled) fails the step, and with it
 * the workflow (which cancels the items still live). Items kept by a retry (succeeded in the
 * failed run) are rows already there: they are not run again.
 */
export class ForEachSteps {
  readonly #deps: StepChildDeps;
  readonly #maxItems: number;

  constructor(deps: StepChildDeps & { maxItems: number }) {
    this.#deps = deps;
    this.#maxItems = deps.maxItems;
  }

  /** Starts a for_each step: answers its own row (`running`, or `succeeded` when nothing is left to run). */
  async start(ctx: WriteContext, run: RunsTable, step: AgentStep & { for_each: NonNullable<AgentStep['for_each']> }, scope: ExpressionScope, row: WorkflowStepsTable): Promise<WorkflowStepsTable> {
    const items = await evaluateTemplate(step.for_each, scope);
    if (!Array.isArray(items)) {
      throw new StepFailure({ type: 'for_each_not_list', message: `${step.path}.for_each gave ${items === null || items === undefined ? 'nothing' : typeof items}, not a list`, non_retryable: true, details: { path: `${step.path}.for_each` } });
    }
    if (items.length > this.#maxItems) {
      throw new StepFailure({ type: 'too_many_items', message: `${step.path}.for_each gave ${items.length} items; the most is ${this.#maxItems}`, non_retryable: true, details: { items: items.length, max_items: this.#maxItems } });
    }
    const ep = await stepEndpoint(ctx, this.#deps, run, step);
    const inputs: unknown[] = [];
    for (let index = 0; index < items.length; index++) {
      const input = (await evaluateTemplate(step.input, { ...scope, item: items[index], index })) ?? null;
      checkStepInput(ep, step, input, index);
      inputs.push(input);
    }
    // Rows kept by a retry: succeeded items, not run again (any other is dropped and runs anew).
    const kept = new Set((await this.#items(ctx, run, step.id).select('iteration').where('status', '=', 'succeeded').where('iteration', '<', items.length).execute()).map((r) => r.iteration));
    await ctx.trx.deleteFrom('workflow_steps').where('tenant_id', '=', run.tenant_id).where('run_id', '=', run.id).where('step_id', '=', step.id).where('iteration', '>=', 0).where((eb) => eb.or([eb('status', '!=', 'succeeded'), eb('iteration', '>=', items.length)])).execute();
    const started = { ...row, status: 'running' };
    await ctx.trx.insertInto('workflow_steps').values(started).execute();
    const pending = inputs.flatMap((input, index) => (kept.has(index) ? [] : [{ ...row, iteration: index, status: 'pending', input: JSON.stringify(input), started_at: null }]));
    for (let i = 0; i < pending.length; i += INSERT_CHUNK) await ctx.trx.insertInto('workflow_steps').values(pending.slice(i, i + INSERT_CHUNK)).execute();
    await appendRunEvents(ctx, run, [{ type: EventType.workflowStepStarted, data: { step: step.id, iteration: SELF, items: items.length, concurrency: step.concurrency, kept: kept.size } }]);
    await this.#fill(ctx, run, step);
    return (await this.#finishIfDone(ctx, run, step)) ?? started;
  }

  /**
   * An item's child ended (the workflow live): the item ends with it; a success starts the next
   * pending items and, after the last, succeeds the step with the outputs in item order; a failure
   * fails the step. Answers whether the step itself ended (then the workflow must advance).
   */
  async itemEnded(ctx: WriteContext, run: RunsTable, step: AgentStep, iteration: number, child: EndedChild): Promise<boolean> {
    const data = { step: step.id, iteration, child_run_id: child.id };
    const ended = await ctx.trx.selectFrom('runs').select(['output', 'error']).where('tenant_id', '=', child.tenant_id).where('id', '=', child.id).executeTakeFirstOrThrow();
    if (child.status === 'succeeded') {
      const n = await this.#finishItem(ctx, run, step.id, iteration, { status: 'succeeded', output: ended.output ?? 'null' });
      if (n === 0) return false;
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data }]);
      await this.#fill(ctx, run, step);
      return (await this.#finishIfDone(ctx, run, step)) !== null;
    }
    const error = ended.error ? (JSON.parse(ended.error) as RunFailure) : { type: child.status, message: `the item's run ended ${child.status}`, non_retryable: true, details: null };
    const n = await this.#finishItem(ctx, run, step.id, iteration, { status: 'failed', error: JSON.stringify(error) });
    if (n === 0) return false;
    const failure: RunFailure = { type: 'item_failed', message: `item ${iteration} of step ${step.id} failed: ${error.message}`, non_retryable: true, details: { index: iteration, child_run_id: child.id, error } };
    await this.#finishItem(ctx, run, step.id, SELF, { status: 'failed', error: JSON.stringify(failure) });
    await appendRunEvents(ctx, run, [
      { type: EventType.workflowStepFailed, data: { ...data, status: child.status, error } },
      { type: EventType.workflowStepFailed, data: { step: step.id, iteration: SELF, child_run_id: null, error: failure } },
    ]);
    return true;
  }

  #items(ctx: WriteContext, run: RunsTable, stepId: string) {
    return ctx.trx.selectFrom('workflow_steps').where('tenant_id', '=', run.tenant_id).where('run_id', '=', run.id).where('step_id', '=', stepId).where('iteration', '>=', 0);
  }

  async #finishItem(ctx: WriteContext, run: RunsTable, stepId: string, iteration: number, fields: Partial<WorkflowStepsTable>): Promise<number> {
    const r = await ctx.trx
      .updateTable('workflow_steps')
      .set({ ...fields, finished_at: ctx.now })
      .where('tenant_id', '=', run.tenant_id)
      .where('run_id', '=', run.id)
      .where('step_id', '=', stepId)
      .where('iteration', '=', iteration)
      .where('status', 'in', ['pending', 'running'])
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /** Starts the lowest pending items until `concurrency` are running. */
  async #fill(ctx: WriteContext, run: RunsTable, step: AgentStep): Promise<void> {
    const live = await this.#items(ctx, run, step.id).select((eb) => eb.fn.countAll<number | string>().as('n')).where('status', '=', 'running').executeTakeFirstOrThrow();
    const room = (step.concurrency ?? 1) - Number(live.n);
    if (room <= 0) return;
    const next = await this.#items(ctx, run, step.id).select(['iteration', 'input']).where('status', '=', 'pending').orderBy('iteration').limit(room).execute();
    if (next.length === 0) return;
    // Checked again as each starts: the agent may have changed since the step began.
    const ep = await stepEndpoint(ctx, this.#deps, run, step);
    for (const item of next) {
      const input = item.input === null ? null : JSON.parse(item.input);
      checkStepInput(ep, step, input, item.iteration);
      const child = await createStepChild(ctx, this.#deps, run, step, ep, input, item.iteration);
      await ctx.trx
        .updateTable('workflow_steps')
        .set({ status: 'running', child_run_id: child.id, input: null, started_at: ctx.now })
        .where('tenant_id', '=', run.tenant_id)
        .where('run_id', '=', run.id)
        .where('step_id', '=', step.id)
        .where('iteration', '=', item.iteration)
        .execute();
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepStarted, data: { step: step.id, iteration: item.iteration, child_run_id: child.id } }]);
    }
  }

  /** Once no item is pending or running, the step succeeds with its items' outputs in order; null: not yet. */
  async #finishIfDone(ctx: WriteContext, run: RunsTable, step: AgentStep): Promise<WorkflowStepsTable | null> {
    const rows = await this.#items(ctx, run, step.id).select(['iteration', 'status', 'output']).orderBy('iteration').execute();
    if (rows.some((r) => r.status !== 'succeeded')) return null;
    const output = JSON.stringify(rows.map((r) => (r.output === null ? null : JSON.parse(r.output))));
    await this.#finishItem(ctx, run, step.id, SELF, { status: 'succeeded', output });
    await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data: { step: step.id, iteration: SELF, items: rows.length } }]);
    return ctx.trx.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', run.tenant_id).where('run_id', '=', run.id).where('step_id', '=', step.id).where('iteration', '=', SELF).executeTakeFirstOrThrow();
  }
}
