import { EventType, isTerminal, type RunFailure, type RunStatus } from '@agentd/protocol';
import { evaluateCondition, evaluateTemplate, ExpressionError, type AgentStep, type ApprovalStep, type ExpressionScope, type WaitStep } from '@agentd/protocol/workflow';
import type { AgentService } from '../agents/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { appendRunEvents, approvalRow, completeWorkflow, failWorkflow, requestedEventData, resumeWorkflow, waitForGates } from '../runs/index.ts';
import type { ApprovalsTable, EndedChild, RunsTable, SignalsTable, Store, WorkflowStepsTable, WriteContext } from '../store/index.ts';
import { consumeSignal, type SignalService } from '../signals/index.ts';
import { sql } from 'kysely';
import { DomainError } from '../core/index.ts';
import type { WorkflowService } from './workflow-service.ts';
import { expressionFailure, gateReason, isFailedEval, isGate, signalConsumer, stepOf } from './workflow-step-rules.ts';
import { ForEachSteps, SELF, StepFailure } from './workflow-for-each.ts';
import { checkStepInput, createStepChild, iterationOf, stepEndpoint } from './workflow-step-child.ts';

const DONE: ReadonlySet<string> = new Set(['succeeded', 'skipped']);
const LIVE = ['pending', 'running', 'waiting'];

/**
 * Drives workflow runs, always inside the transaction of whatever moved one: its start, a step's
 * child run ending (a `childEnded` run hook), an approval gate's decision (an `approvalSettled`
 * hook). Each pass starts every step whose needs are done and whose `if` holds, skips the ones
 * whose `if` is false, and ends the workflow when every step is done or one failed. So a kill -9
 * anywhere leaves steps and runs as one commit left them, and a step never starts twice: its
 * child's call key `step:<id>` is unique per parent, its row's key (run, step, iteration) too.
 *
 * A skipped step counts as done for its dependents (its status `skipped`, its output null): they
 * start, and their own `if` can test `steps.<id>.status`.
 */
export class WorkflowDriver {
  readonly #store: Store;
  readonly #workflows: WorkflowService;
  readonly #children: { store: Store; agents: AgentService; leases: LeaseService };
  readonly #forEach: ForEachSteps;

  /** `maxItems`: the longest list a for_each step runs (config `orchestration.maxChildren`). */
  constructor(deps: { store: Store; workflows: WorkflowService; agents: AgentService; leases: LeaseService; signals: SignalService; maxItems: number }) {
    this.#store = deps.store;
    this.#workflows = deps.workflows;
    this.#children = { store: deps.store, agents: deps.agents, leases: deps.leases };
    this.#forEach = new ForEachSteps({ ...this.#children, maxItems: deps.maxItems });
    deps.store.runHooks.onChildEnded(this.#childEnded);
    deps.store.runHooks.onApprovalSettled(this.#approvalSettled);
    deps.store.runHooks.onWorkflowEnded(this.#workflowEnded);
    deps.signals.onSignal(this.#signalArrived);
  }

  /**
   * A signal to a workflow run, in the signal's transaction (the run locked by it): the first
   * waiting `wait: {signal}` step of that name (in written order) consumes it and succeeds with
   * its payload as output. A signal no step waits for yet is kept, and consumed when one begins.
   */
  readonly #signalArrived = async (ctx: WriteContext, sent: RunsTable, signal: SignalsTable): Promise<void> => {
    if (sent.kind !== 'workflow' || isTerminal(sent.status as RunStatus)) return;
    const waiting = await this.#waitingWaits(ctx, sent);
    if (waiting.length === 0) return;
    const { workflow } = await this.#workflows.resolve(sent.tenant_id, sent.agent, sent.agent_version, { db: ctx.trx });
    for (const row of waiting) {
      const step = stepOf(workflow, row.step_id);
      if (step?.type !== 'wait' || step.wait.kind !== 'signal' || step.wait.signal !== signal.name) continue;
      const got = await consumeSignal(ctx, sent, { name: signal.name, consumer: signalConsumer(step.id) });
      if (!got) return;
      const run = (await this.#lockRun(ctx, sent.tenant_id, sent.id))!;
      await this.#finishStep(ctx, run, step.id, { status: 'succeeded', output: got.payload });
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data: { step: step.id, iteration: SELF, signal_id: got.id } }]);
      await this.advance(ctx, run);
      return;
    }
  };

  /** The run's wait steps now waiting (no child, no approval), in no particular order. */
  #waitingWaits(ctx: WriteContext, run: Pick<RunsTable, 'tenant_id' | 'id'>): Promise<WorkflowStepsTable[]> {
    return ctx.trx
      .selectFrom('workflow_steps')
      .selectAll()
      .where('tenant_id', '=', run.tenant_id)
      .where('run_id', '=', run.id)
      .where('status', '=', 'waiting')
      .where('child_run_id', 'is', null)
      .where('approval_id', 'is', null)
      .execute();
  }

  /** The timer leader's candidates: waiting steps whose `wake_at` passed, across tenants, oldest first. */
  dueWakeups(now: number, limit: number): Promise<{ tenant_id: string; run_id: string; step_id: string }[]> {
    // The timers scan every tenant (wakeIn writes each within its own); finished steps have no wake_at.
    return this.#store
      .allTenants(this.#store.db)
      .selectFrom('workflow_steps')
      .select(['tenant_id', 'run_id', 'step_id'])
      .where(sql<boolean>`status = 'waiting'`)
      .where('wake_at', '<=', now)
      .orderBy('wake_at')
      .limit(limit)
      .execute();
  }

  /**
   * Inside the sweeper's batch: each wait step still waiting and due ends — a duration or an
   * until succeeds (output `{waited_until}`), a signal wait past its timeout fails
   * (`signal_timeout`, which fails the workflow) — and its workflow advances. Answers how many ended.
   */
  async wakeIn(ctx: WriteContext, due: { tenant_id: string; run_id: string; step_id: string }[]): Promise<number> {
    let n = 0;
    for (const d of due) {
      const run = await this.#lockRun(ctx, d.tenant_id, d.run_id);
      if (!run || run.kind !== 'workflow' || isTerminal(run.status as RunStatus)) continue;
      const row = await ctx.trx.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', d.tenant_id).where('run_id', '=', d.run_id).where('step_id', '=', d.step_id).where('iteration', '=', SELF).executeTakeFirst();
      if (!row || row.status !== 'waiting' || row.wake_at === null || row.wake_at > ctx.now) continue;
      const { workflow } = await this.#workflows.resolve(run.tenant_id, run.agent, run.agent_version, { db: ctx.trx });
      const step = stepOf(workflow, row.step_id);
      if (step?.type !== 'wait') continue;
      if (step.wait.kind === 'signal') {
        const error: RunFailure = { type: 'signal_timeout', message: `no signal ${step.wait.signal} came in time`, non_retryable: true, details: { signal: step.wait.signal } };
        await this.#finishStep(ctx, run, step.id, { status: 'failed', error: JSON.stringify(error) });
        await appendRunEvents(ctx, run, [{ type: EventType.workflowStepFailed, data: { step: step.id, iteration: SELF, child_run_id: null, error } }]);
      } else {
        await this.#finishStep(ctx, run, step.id, { status: 'succeeded', output: JSON.stringify({ waited_until: ctx.wire.iso(row.wake_at) }) });
        await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data: { step: step.id, iteration: SELF } }]);
      }
      await this.advance(ctx, run);
      n++;
    }
    return n;
  }

  /** The workflow run `id`, locked to the commit (every writer of a tree locks the deeper run first). */
  async #lockRun(ctx: WriteContext, tenantId: string, id: string): Promise<RunsTable | undefined> {
    let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
    if (ctx.rowLocks) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  #finishStep(ctx: WriteContext, run: RunsTable, stepId: string, fields: Partial<WorkflowStepsTable>, iteration = SELF): Promise<unknown> {
    return ctx.trx
      .updateTable('workflow_steps')
      // wake_at cleared: the timers' index holds waiting steps only.
      .set({ ...fields, wake_at: null, finished_at: ctx.now })
      .where('tenant_id', '=', run.tenant_id)
      .where('run_id', '=', run.id)
      .where('step_id', '=', stepId)
      .where('iteration', '=', iteration)
      .where('status', 'in', LIVE)
      .execute();
  }

  /** A step's child run ended: the step ends with it, then the workflow moves on. */
  readonly #childEnded = async (ctx: WriteContext, child: EndedChild): Promise<void> => {
    const iteration = child.step === null ? null : iterationOf(child.call_key, child.step);
    if (child.step === null || iteration === null) return;
    const run = await this.#lockRun(ctx, child.tenant_id, child.parent_run_id);
    if (!run || run.kind !== 'workflow') return;
    if (isTerminal(run.status as RunStatus)) {
      // Cancelled with its workflow (the cascade): the step (or the item) says so.
      await this.#finishStep(ctx, run, child.step, { status: 'cancelled' }, iteration);
      return;
    }
    if (iteration !== SELF) {
      const { workflow } = await this.#workflows.resolve(run.tenant_id, run.agent, run.agent_version, { db: ctx.trx });
      const step = stepOf(workflow, child.step);
      if (step?.type !== 'agent') return;
      try {
        if (await this.#forEach.itemEnded(ctx, run, step, iteration, child)) await this.advance(ctx, run);
      } catch (err) {
        // The next item could not start (its agent or endpoint went away, its input no longer fits): the step fails.
        const failure = startFailure(err);
        await this.#finishStep(ctx, run, step.id, { status: 'failed', error: JSON.stringify(failure) });
        await appendRunEvents(ctx, run, [{ type: EventType.workflowStepFailed, data: { step: step.id, iteration: SELF, child_run_id: null, error: failure } }]);
        await this.advance(ctx, run);
      }
      return;
    }
    const data = { step: child.step, iteration: SELF, child_run_id: child.id };
    if (child.status === 'succeeded') {
      const row = await ctx.trx.selectFrom('runs').select('output').where('tenant_id', '=', child.tenant_id).where('id', '=', child.id).executeTakeFirstOrThrow();
      await this.#finishStep(ctx, run, child.step, { status: 'succeeded', output: row.output ?? 'null' });
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data }]);
    } else {
      const row = await ctx.trx.selectFrom('runs').select('error').where('tenant_id', '=', child.tenant_id).where('id', '=', child.id).executeTakeFirstOrThrow();
      const error = row.error ? (JSON.parse(row.error) as RunFailure) : { type: child.status, message: `the step's run ended ${child.status}`, non_retryable: true, details: null };
      await this.#finishStep(ctx, run, child.step, { status: 'failed', error: JSON.stringify(error) });
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepFailed, data: { ...data, status: child.status, error } }]);
    }
    await this.advance(ctx, run);
  };

  /**
   * An approval gate was decided (or expired with on_timeout reject): the step succeeds with the
   * decision as its output, `{approved, status, decided_by, comment, reason}`; a rejection is an
   * output too (`approved: false`), so a later step's `if` decides what follows. (An expiry with
   * on_timeout fail_run fails the workflow run itself, in approvals/.)
   */
  readonly #approvalSettled = async (ctx: WriteContext, approval: ApprovalsTable, approved: boolean, locked: RunsTable): Promise<void> => {
    if (locked.kind !== 'workflow' || isTerminal(locked.status as RunStatus)) return;
    const step = await ctx.trx.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', approval.tenant_id).where('approval_id', '=', approval.id).executeTakeFirst();
    if (!step || !LIVE.includes(step.status)) return;
    const run = (await this.#lockRun(ctx, locked.tenant_id, locked.id))!;
    const output = { approved, status: approval.status, decided_by: approval.decided_by, comment: approval.comment, reason: approval.reason };
    await this.#finishStep(ctx, run, step.step_id, { status: 'succeeded', output: JSON.stringify(output) });
    await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data: { step: step.step_id, iteration: SELF, approval_id: approval.id, approved } }]);
    await this.advance(ctx, run);
  };

  /** The workflow run ended (cancelled, failed, timed out): its steps still live end `cancelled`. */
  readonly #workflowEnded = async (ctx: WriteContext, run: Pick<RunsTable, 'id' | 'tenant_id'>): Promise<void> => {
    await ctx.trx
      .updateTable('workflow_steps')
      .set({ status: 'cancelled', wake_at: null, input: null, finished_at: ctx.now })
      .where('tenant_id', '=', run.tenant_id)
      .where('run_id', '=', run.id)
      .where('status', 'in', LIVE)
      .execute();
  };

  /**
   * One pass over the workflow run `run` (read in this transaction): start what can start, skip
   * what its `if` rules out, and end the run when every step is done or one failed. Then the run
   * is `waiting` (reason approval) when its only live steps are approval gates, `running` otherwise.
   */
  async advance(ctx: WriteContext, run: RunsTable): Promise<void> {
    if (isTerminal(run.status as RunStatus)) return;
    const { workflow } = await this.#workflows.resolve(run.tenant_id, run.agent, run.agent_version, { db: ctx.trx });
    const rows = await ctx.trx.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', run.tenant_id).where('run_id', '=', run.id).where('iteration', '=', SELF).execute();
    const byId = new Map(rows.map((r) => [r.step_id, r]));
    const scope: ExpressionScope = { input: run.input === null ? null : JSON.parse(run.input), steps: {} };
    for (const r of rows) scope.steps[r.step_id] = { output: r.output === null ? null : JSON.parse(r.output), status: r.status };

    const failed = rows.find((r) => r.status === 'failed');
    if (failed) return this.#fail(ctx, run, failed.step_id, failed.error ? (JSON.parse(failed.error) as RunFailure) : null);

    let progress = true;
    while (progress) {
      progress = false;
      for (const id of workflow.order) {
        if (byId.has(id)) continue;
        const step = workflow.steps.find((s) => s.id === id)!;
        if (!step.needs.every((n) => DONE.has(byId.get(n)?.status ?? ''))) continue;
        const started = await this.#startStep(ctx, run, step, scope);
        byId.set(id, started);
        scope.steps[id] = { output: started.output === null ? null : JSON.parse(started.output), status: started.status };
        if (started.status === 'failed') return this.#fail(ctx, run, id, started.error ? (JSON.parse(started.error) as RunFailure) : null);
        if (DONE.has(started.status)) progress = true;
      }
    }

    const statuses = [...byId.values()];
    if (statuses.length === workflow.steps.length && statuses.every((r) => DONE.has(r.status))) {
      const output = workflow.output
        ? await evaluateTemplate(workflow.output, scope).catch((err: unknown) => ({ failed: err }))
        : Object.fromEntries(workflow.leaves.map((id) => [id, scope.steps[id]?.output ?? null]));
      if (isFailedEval(output)) return this.#fail(ctx, run, null, expressionFailure(output.failed));
      await completeWorkflow(ctx, run, output ?? null);
      return;
    }
    // Gates: approval steps and wait steps (no child run). With only those live the run waits.
    const live = statuses.filter((r) => LIVE.includes(r.status));
    const onlyGates = live.length > 0 && live.every((r) => isGate(workflow, r));
    if (onlyGates && run.status === 'running') await waitForGates(ctx, run, gateReason(workflow, live), live.map((r) => r.step_id));
    else if (!onlyGates && run.status === 'waiting') await resumeWorkflow(ctx, run, live.find((r) => !isGate(workflow, r))?.step_id ?? '');
  }

  async #fail(ctx: WriteContext, run: RunsTable, stepId: string | null, cause: RunFailure | null): Promise<void> {
    const failure: RunFailure = {
      type: 'step_failed',
      message: stepId === null ? `the workflow's output failed: ${cause?.message ?? 'unknown error'}` : `step ${stepId} failed: ${cause?.message ?? 'unknown error'}`,
      non_retryable: true,
      details: { step: stepId, error: cause },
    };
    // The state machine cancels the live steps' child runs (cascade) and their approvals.
    await failWorkflow(ctx, run, failure);
  }

  /** Starts (or skips, or fails at once) one step; answers its new row. */
  async #startStep(ctx: WriteContext, run: RunsTable, step: AgentStep | ApprovalStep | WaitStep, scope: ExpressionScope): Promise<WorkflowStepsTable> {
    const row: WorkflowStepsTable = { tenant_id: run.tenant_id, run_id: run.id, step_id: step.id, iteration: SELF, status: 'running', child_run_id: null, approval_id: null, input: null, output: null, error: null, wake_at: null, started_at: ctx.now, finished_at: null };
    const failWith = async (error: RunFailure): Promise<WorkflowStepsTable> => {
      const failed = { ...row, status: 'failed', error: JSON.stringify(error), finished_at: ctx.now };
      await ctx.trx.insertInto('workflow_steps').values(failed).execute();
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepFailed, data: { step: step.id, iteration: SELF, child_run_id: null, error } }]);
      return failed;
    };
    try {
      if (step.condition && !(await evaluateCondition(step.condition, scope))) {
        const skipped = { ...row, status: 'skipped', started_at: null, finished_at: ctx.now };
        await ctx.trx.insertInto('workflow_steps').values(skipped).execute();
        await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSkipped, data: { step: step.id, iteration: SELF } }]);
        return skipped;
      }
      if (step.type === 'approval') return await this.#startGate(ctx, run, step, scope, row);
      if (step.type === 'wait') {
        const started = await this.#startWait(ctx, run, step, scope, row);
        return started ?? failWith({ type: 'invalid_time', message: `${step.path}.wait.until did not give an RFC 3339 time`, non_retryable: true, details: null });
      }
      if (step.for_each) return await this.#forEach.start(ctx, run, { ...step, for_each: step.for_each }, scope, row);
      return await this.#startChild(ctx, run, step, scope, row);
    } catch (err) {
      return failWith(startFailure(err));
    }
  }

  /** An agent step: a child run of the workflow run, its call key `step:<id>`, its `step` the step id. */
  async #startChild(ctx: WriteContext, run: RunsTable, step: AgentStep, scope: ExpressionScope, row: WorkflowStepsTable): Promise<WorkflowStepsTable> {
    const input = (await evaluateTemplate(step.input, scope)) ?? null;
    const ep = await stepEndpoint(ctx, this.#children, run, step);
    checkStepInput(ep, step, input, SELF);
    const child = await createStepChild(ctx, this.#children, run, step, ep, input, SELF);
    const started = { ...row, child_run_id: child.id };
    await ctx.trx.insertInto('workflow_steps').values(started).execute();
    await appendRunEvents(ctx, run, [{ type: EventType.workflowStepStarted, data: { step: step.id, iteration: SELF, child_run_id: child.id } }]);
    return started;
  }

  /** An approval step: an approval on the workflow run itself (source `workflow`), its prompt templated. */
  async #startGate(ctx: WriteContext, run: RunsTable, step: ApprovalStep, scope: ExpressionScope, row: WorkflowStepsTable): Promise<WorkflowStepsTable> {
    const prompt = await evaluateTemplate(step.prompt, scope);
    const spec = { ...step.approval, prompt: typeof prompt === 'string' ? prompt : JSON.stringify(prompt ?? '') };
    const approval = approvalRow({ id: this.#store.ids.next('apr', ctx.now), run, source: 'workflow', key: `step:${step.id}`, spec, payload: { step: step.id }, now: ctx.now, leaseId: null });
    await ctx.trx.insertInto('approvals').values(approval).execute();
    const waiting = { ...row, status: 'waiting', approval_id: approval.id };
    await ctx.trx.insertInto('workflow_steps').values(waiting).execute();
    await appendRunEvents(ctx, run, [
      { type: EventType.approvalRequested, data: requestedEventData(approval) },
      { type: EventType.workflowStepStarted, data: { step: step.id, iteration: SELF, approval_id: approval.id } },
    ]);
    return waiting;
  }

  /**
   * A wait step: a duration or an until is a timer (`wake_at`, woken by the timer leader; a time
   * already past succeeds at once); a signal wait consumes a signal kept for it at once, or waits
   * (`wake_at` its timeout, if any). Null: `until` gave no time.
   */
  async #startWait(ctx: WriteContext, run: RunsTable, step: WaitStep, scope: ExpressionScope, row: WorkflowStepsTable): Promise<WorkflowStepsTable | null> {
    const { wait } = step;
    const startedEvent = (data: Record<string, unknown>) => appendRunEvents(ctx, run, [{ type: EventType.workflowStepStarted, data: { step: step.id, iteration: SELF, ...data } }]);
    const succeed = async (output: unknown, data: Record<string, unknown>) => {
      const done = { ...row, status: 'succeeded', output: JSON.stringify(output), finished_at: ctx.now };
      await ctx.trx.insertInto('workflow_steps').values(done).execute();
      await startedEvent(data);
      await appendRunEvents(ctx, run, [{ type: EventType.workflowStepSucceeded, data: { step: step.id, iteration: SELF, ...data } }]);
      return done;
    };
    const sleep = async (wakeAt: number, data: Record<string, unknown>) => {
      const waiting = { ...row, status: 'waiting', wake_at: wakeAt };
      await ctx.trx.insertInto('workflow_steps').values(waiting).execute();
      await startedEvent(data);
      return waiting;
    };
    if (wait.kind === 'signal') {
      const got = await consumeSignal(ctx, run, { name: wait.signal, consumer: signalConsumer(step.id) });
      if (got) return succeed(JSON.parse(got.payload), { signal: wait.signal, signal_id: got.id });
      const waiting = { ...row, status: 'waiting', wake_at: wait.timeout_ms === null ? null : ctx.now + wait.timeout_ms };
      await ctx.trx.insertInto('workflow_steps').values(waiting).execute();
      await startedEvent({ signal: wait.signal, timeout_at: waiting.wake_at === null ? null : ctx.wire.iso(waiting.wake_at) });
      return waiting;
    }
    let wakeAt: number;
    if (wait.kind === 'duration') wakeAt = ctx.now + wait.duration_ms;
    else {
      const value = await evaluateTemplate(wait.until, scope);
      wakeAt = typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(wakeAt)) return null;
    }
    if (wakeAt <= ctx.now) return succeed({ waited_until: ctx.wire.iso(wakeAt) }, { wake_at: ctx.wire.iso(wakeAt) });
    return sleep(wakeAt, { wake_at: ctx.wire.iso(wakeAt) });
  }
}

/** Why a step could not start (or go on): an expression, its agent or endpoint, its input, its for_each list; anything else is a bug and propagates. */
function startFailure(err: unknown): RunFailure {
  if (err instanceof StepFailure) return err.failure;
  if (err instanceof ExpressionError) return expressionFailure(err);
  if (err instanceof DomainError && ['INPUT_INVALID', 'AGENT_NOT_FOUND', 'ENDPOINT_NOT_FOUND', 'ENDPOINT_DISABLED'].includes(err.code)) {
    return { type: err.code.toLowerCase(), message: err.message, non_retryable: true, details: err.details ?? null };
  }
  throw err;
}
