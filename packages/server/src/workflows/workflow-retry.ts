import type { Run } from '@agentd/protocol';
import type { Clock } from '../core/index.ts';
import { DomainError } from '../core/index.ts';
import { ROOT_ENVELOPE, startWorkflowRun, toRun } from '../runs/index.ts';
import type { Store } from '../store/index.ts';
import type { WorkflowDriver } from './workflow-driver.ts';
import type { WorkflowRunRecorder } from './workflow-start.ts';

/** The statuses a workflow run may be retried from: it ended, and not by succeeding. */
const RETRYABLE = ['failed', 'cancelled', 'timed_out'];
/** The step rows a retry keeps: steps (and for_each items) that finished without failing. */
const KEPT = ['succeeded', 'skipped'];

/**
 * `POST /v1/runs/{id}/retry`: a workflow run that failed (or was cancelled, or timed out) runs
 * again from its failed steps. Terminal runs never change, so the retry is a **new** workflow run
 * of the same workflow version, input, metadata and priority (`run.queued` data `retry_of` names
 * the run it retries), in one transaction: the old run's succeeded and skipped steps — and the
 * succeeded items of a for_each step that did not finish — are copied to it with their outputs
 * (their child runs and approvals stay the old run's), then the driver starts whatever is left:
 * the failed steps, the ones cancelled with the run, and those that never started.
 */
export class WorkflowRetrier {
  readonly #store: Store;
  readonly #driver: WorkflowDriver;
  readonly #clock: Clock;

  constructor(deps: { store: Store; driver: WorkflowDriver; clock: Clock }) {
    this.#store = deps.store;
    this.#driver = deps.driver;
    this.#clock = deps.clock;
  }

  async retry(tenantId: string, runId: string, body: { deadline?: string | null } | null | undefined, opts: { record?: WorkflowRunRecorder } = {}): Promise<Run> {
    let deadline: number | null = null;
    if (body?.deadline) {
      deadline = Date.parse(body.deadline);
      if (!Number.isFinite(deadline)) throw new DomainError('VALIDATION_ERROR', 'deadline must be an ISO-8601 time', [{ path: 'deadline', message: 'must be an ISO-8601 time' }]);
    }
    const now = this.#clock.now();
    const id = this.#store.ids.next('run', now);
    return this.#store.writer.write(async (ctx) => {
      // Not locked: an ended run never changes.
      const old = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
      if (!old) throw new DomainError('RUN_NOT_FOUND', `run ${runId} not found`);
      if (old.kind !== 'workflow' || !RETRYABLE.includes(old.status)) {
        const why = old.kind !== 'workflow' ? 'it is not a workflow run' : old.status === 'succeeded' ? 'it succeeded' : 'it has not ended';
        throw new DomainError('RUN_NOT_RETRYABLE', `run ${runId} cannot be retried: ${why}`, { kind: old.kind, status: old.status });
      }
      if (deadline !== null && deadline <= ctx.now) throw new DomainError('VALIDATION_ERROR', 'deadline must be in the future', [{ path: 'deadline', message: 'must be in the future' }]);
      const kept = await ctx.trx.selectFrom('workflow_steps').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', old.id).where('status', 'in', KEPT).orderBy('step_id').orderBy('iteration').execute();
      const row = await startWorkflowRun(
        ctx,
        {
          ...old,
          id,
          output: null,
          error: null,
          attempts: 0,
          deadline_at: deadline,
          available_at: ctx.now,
          lease_id: null,
          lease_expires_at: null,
          lease_ttl_ms: null,
          attempt_deadline_at: null,
          worker_id: null,
          created_at: ctx.now,
          started_at: ctx.now,
          finished_at: null,
          updated_at: ctx.now,
          ...ROOT_ENVELOPE,
          root_run_id: id,
          kind: 'workflow',
        },
        { retry_of: old.id, kept_steps: [...new Set(kept.filter((k) => k.iteration < 0).map((k) => k.step_id))] },
      );
      for (let i = 0; i < kept.length; i += 200) await ctx.trx.insertInto('workflow_steps').values(kept.slice(i, i + 200).map((k) => ({ ...k, run_id: id, input: null, wake_at: null }))).execute();
      await this.#driver.advance(ctx, row);
      const after = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow();
      const run = toRun(after, ctx.wire);
      if (opts.record) await opts.record(ctx, run);
      return run;
    });
  }
}
