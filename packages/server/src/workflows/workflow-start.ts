import type { Run } from '@agentd/protocol';
import { compileUserSchema, DEFAULT_RETRY, schemaProblems, type ValidateFunction } from '@agentd/protocol/manifest';
import type { Store, WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { Clock } from '../core/index.ts';
import { ROOT_ENVELOPE, startWorkflowRun, toRun } from '../runs/index.ts';
import type { WorkflowDriver } from './workflow-driver.ts';
import type { ResolvedWorkflow, WorkflowService } from './workflow-service.ts';

/** Lets a route record its idempotent response in the transaction that starts the workflow. */
export type WorkflowRunRecorder = (ctx: WriteContext, run: Run) => Promise<void>;

/** The retry policy of a workflow run itself: it is never leased, so it never retries. */
const WORKFLOW_RETRY = { ...DEFAULT_RETRY, max_attempts: 1 };

/**
 * Starts workflow runs: `POST /v1/workflows/{name}/runs`. The run (kind `workflow`, agent = the
 * workflow's name, agent_version = its version, endpoint `run`) is created `running` and its
 * first steps started in the same transaction (WorkflowDriver.advance).
 */
export class WorkflowStarter {
  readonly #store: Store;
  readonly #workflows: WorkflowService;
  readonly #driver: WorkflowDriver;
  readonly #clock: Clock;
  /** Input validators by compiled workflow (versions are immutable; the compiled ones are cached). */
  readonly #validators = new WeakMap<ResolvedWorkflow, ValidateFunction>();

  constructor(deps: { store: Store; workflows: WorkflowService; driver: WorkflowDriver; clock: Clock }) {
    this.#store = deps.store;
    this.#workflows = deps.workflows;
    this.#driver = deps.driver;
    this.#clock = deps.clock;
  }

  #validator(resolved: ResolvedWorkflow): ValidateFunction | null {
    const schema = resolved.workflow.inputSchema;
    if (schema === null) return null;
    let v = this.#validators.get(resolved);
    if (!v) {
      v = compileUserSchema(schema);
      this.#validators.set(resolved, v);
    }
    return v;
  }

  async start(tenantId: string, name: string, body: { input?: unknown; metadata?: Record<string, unknown>; deadline?: string }, opts: { record?: WorkflowRunRecorder } = {}): Promise<Run> {
    const resolved = await this.#workflows.resolve(tenantId, name);
    const input = body.input === undefined ? null : body.input;
    const validate = this.#validator(resolved);
    if (validate && !validate(input)) throw new DomainError('INPUT_INVALID', `input does not match the input schema of workflow ${name}`, schemaProblems('input', validate.errors));
    let deadline: number | null = null;
    if (body.deadline !== undefined) {
      deadline = Date.parse(body.deadline);
      if (!Number.isFinite(deadline)) throw new DomainError('VALIDATION_ERROR', 'deadline must be an ISO-8601 time', [{ path: 'deadline', message: 'must be an ISO-8601 time' }]);
    }
    const now = this.#clock.now();
    const id = this.#store.ids.next('run', now);
    return this.#store.writer.write(async (ctx) => {
      const row = await startWorkflowRun(ctx, {
        id,
        tenant_id: tenantId,
        agent: resolved.name,
        agent_version: resolved.version,
        endpoint: 'run',
        input: JSON.stringify(input),
        output: null,
        error: null,
        metadata: JSON.stringify(body.metadata ?? {}),
        priority: 0,
        attempts: 0,
        max_attempts: WORKFLOW_RETRY.max_attempts,
        retry: JSON.stringify(WORKFLOW_RETRY),
        // No attempt ever runs under a timeout: the steps' child runs carry their own.
        timeout_ms: 0,
        deadline_at: deadline,
        available_at: now,
        lease_id: null,
        lease_expires_at: null,
        lease_ttl_ms: null,
        attempt_deadline_at: null,
        worker_id: null,
        created_at: now,
        started_at: now,
        finished_at: null,
        updated_at: now,
        ...ROOT_ENVELOPE,
        root_run_id: id,
        kind: 'workflow',
      });
      await this.#driver.advance(ctx, row);
      const after = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirstOrThrow();
      const run = toRun(after, ctx.wire);
      if (opts.record) await opts.record(ctx, run);
      return run;
    });
  }
}
