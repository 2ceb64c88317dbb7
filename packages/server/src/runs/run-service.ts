import { isTerminal, RUN_STATUSES, type ApprovalSpec, type FieldProblem, type RetryPolicy, type Page, type Run, type RunAttempt, type RunStatus } from '@agentd/protocol';
import { schemaProblems } from '@agentd/protocol/manifest';
import type { Store } from '../store/index.ts';
import type { RunsTable } from '../store/index.ts';
import { isStoreUnavailable, type WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { toAttempt, toRun } from './run-codec.ts';
import { attemptsOfRun } from './run-attempts.ts';
import { newestFirstPage } from '../store/index.ts';
import { createRuns, type NewRun } from './run-batch-transitions.ts';
import { cancelRun } from './run-state-machine.ts';
import { updateRunControls, type RunControlChange } from './run-controls.ts';
import { ROOT_ENVELOPE } from './run-tree.ts';
import type { Clock } from '../core/index.ts';

export interface RunCreateInput {
  agent: string;
  endpoint: string;
  input?: unknown;
  metadata?: Record<string, unknown>;
  priority?: number;
  timeout_ms?: number;
  deadline?: string;
}

export interface RunListFilter {
  agent?: string;
  status?: RunStatus[];
  createdAfter?: number;
  createdBefore?: number;
  /** Only the runs of this tree (its root and every descendant). */
  root?: string;
  limit: number;
  cursor?: string;
}

/** Called inside the creating transaction with the response (the idempotency record rides along). */
export type AfterWrite<T> = (ctx: WriteContext, response: T) => Promise<void>;

/** A run validated and built, not yet written (see RunService.prepare). */
export interface PreparedRun {
  run: NewRun;
  approval?: ApprovalSpec;
}
type Prepared = PreparedRun;

interface CreateRequest {
  prepared: Prepared[];
  after?: AfterWrite<Run[]>;
  resolve(runs: Run[]): void;
  reject(err: unknown): void;
}

export class RunService {
  readonly #store: Store;
  readonly #agents: AgentService;
  readonly #clock: Clock;
  readonly #leases: LeaseService;
  /** Creates waiting to join the next insert operation (see #insert). */
  #waiting: CreateRequest[] = [];
  #insertQueued = false;

  constructor(store: Store, agents: AgentService, leases: LeaseService, clock: Clock) {
    this.#store = store;
    this.#agents = agents;
    this.#leases = leases;
    this.#clock = clock;
  }

  /**
   * Validates one item and builds its row (a root run; a child's creator overrides its envelope);
   * writes nothing. `path` prefixes field paths (batch).
   */
  async prepare(tenantId: string, item: RunCreateInput, path: string): Promise<PreparedRun> {
    const at = (p: string) => (path ? `${path}.${p}` : p);
    const ep = await this.#agents.resolveLatest(tenantId, item.agent, item.endpoint).catch((err: unknown) => {
      if (err instanceof DomainError && path) throw new DomainError(err.code, `${path}: ${err.message}`, [{ path: at(err.code === 'AGENT_NOT_FOUND' ? 'agent' : 'endpoint'), message: err.message }]);
      throw err;
    });
    if (!ep.enabled) throw new DomainError('ENDPOINT_DISABLED', `endpoint ${item.agent}/${item.endpoint} is disabled`, [{ path: at('endpoint'), message: 'is disabled' }]);
    const input = item.input === undefined ? null : item.input;
    if (!ep.validateInput(input)) {
      throw new DomainError('INPUT_INVALID', `input does not match the schema of ${item.agent}/${item.endpoint}`, schemaProblems(at('input'), ep.validateInput.errors));
    }
    const now = this.#clock.now();
    let deadline: number | null = null;
    if (item.deadline !== undefined) {
      deadline = Date.parse(item.deadline);
      if (!Number.isFinite(deadline)) throw new DomainError('VALIDATION_ERROR', 'deadline must be an ISO-8601 time', [{ path: at('deadline'), message: 'must be an ISO-8601 time' }]);
    }
    const run: NewRun = {
      id: this.#store.ids.next('run', now),
      tenant_id: tenantId,
      agent: ep.agent,
      agent_version: ep.version,
      endpoint: ep.endpoint,
      input: JSON.stringify(input),
      output: null,
      error: null,
      metadata: JSON.stringify(item.metadata ?? {}),
      priority: item.priority ?? 0,
      attempts: 0,
      max_attempts: ep.spec.retry.max_attempts,
      retry: JSON.stringify(ep.spec.retry),
      timeout_ms: item.timeout_ms ?? ep.spec.timeout_ms,
      deadline_at: deadline,
      available_at: now,
      lease_id: null,
      lease_expires_at: null,
      lease_ttl_ms: null,
      attempt_deadline_at: null,
      worker_id: null,
      created_at: now,
      started_at: null,
      finished_at: null,
      updated_at: now,
      ...ROOT_ENVELOPE,
    };
    run.root_run_id = run.id;
    return { run, approval: ep.spec.approval };
  }

  /** `after` runs in the transaction that inserts the run (the route's idempotency record). */
  async create(tenantId: string, item: RunCreateInput, opts: { after?: AfterWrite<Run> } = {}): Promise<Run> {
    const { after } = opts;
    const prepared = await this.prepare(tenantId, item, '');
    const [run] = await this.#insert([prepared], after ? (ctx, runs) => after(ctx, runs[0]) : undefined);
    return run;
  }

  /** All-or-nothing: every item is validated before any is written; one transaction holds them all. */
  async createBatch(tenantId: string, items: RunCreateInput[], opts: { after?: AfterWrite<Run[]> } = {}): Promise<Run[]> {
    const { after } = opts;
    const rows: Prepared[] = [];
    const problems: FieldProblem[] = [];
    let firstError: DomainError | null = null;
    for (let i = 0; i < items.length; i++) {
      try {
        rows.push(await this.prepare(tenantId, items[i], `runs.${i}`));
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        firstError ??= err;
        problems.push(...(Array.isArray(err.details) ? (err.details as FieldProblem[]) : [{ path: `runs.${i}`, message: err.message }]));
      }
    }
    if (firstError) {
      const code = firstError.code === 'INPUT_INVALID' || problems.length === 1 ? firstError.code : 'INPUT_INVALID';
      throw new DomainError(code, `${problems.length} problem(s) in the batch; nothing was created`, problems);
    }
    return this.#insert(rows, after);
  }

  /**
   * Queues runs for insertion. Creates that arrive while an insert is waiting for the writer join
   * it: one multi-row INSERT (and one hand-off) for all of them, instead of one statement each.
   */
  #insert(prepared: Prepared[], after?: AfterWrite<Run[]>): Promise<Run[]> {
    return new Promise<Run[]>((resolve, reject) => {
      this.#waiting.push({ prepared, after, resolve, reject });
      if (this.#insertQueued) return;
      this.#insertQueued = true;
      // The requests are taken once, by the operation when it runs or, if its transaction failed
      // before it ran (BEGIN, a lost connection), by the failure: either way the flag is down
      // again and every waiting request is answered, so later creates queue a new operation.
      let taken: CreateRequest[] | null = null;
      const take = (): CreateRequest[] => {
        if (!taken) {
          this.#insertQueued = false;
          taken = this.#waiting.splice(0);
        }
        return taken;
      };
      this.#store.writer.write((ctx) => this.#insertIn(ctx, take())).then(
        (results) => take().forEach((req, i) => req.resolve(results[i])),
        (err: unknown) => this.#insertEach(take(), err),
      );
    });
  }

  /**
   * The shared insert failed: each request alone, so only the one at fault fails. Not when the
   * database is unavailable: every request would fail the same way, one transaction each.
   */
  #insertEach(requests: CreateRequest[], err: unknown): void {
    if (requests.length === 1 || isStoreUnavailable(err)) {
      for (const req of requests) req.reject(err);
      return;
    }
    for (const req of requests) {
      this.#store.writer.write((ctx) => this.#insertIn(ctx, [req])).then(
        (results) => req.resolve(results[0]),
        (e: unknown) => req.reject(e),
      );
    }
  }

  /** Creates the runs of every request (see createRuns), then hands the queued ones to waiting pollers. */
  async #insertIn(ctx: WriteContext, requests: CreateRequest[]): Promise<Run[][]> {
    const created = await createRuns(ctx, requests.flatMap((req) => req.prepared));
    // Queued runs go straight to pollers waiting on this node, in this same commit.
    const handed = created.filter((r) => r.status === 'queued');
    if (handed.length > 0) await this.#leases.handOffIn(ctx, handed);
    const results: Run[][] = [];
    let next = 0;
    for (const req of requests) {
      const runs = created.slice(next, next + req.prepared.length).map((r) => toRun(r, this.#store.wire));
      next += req.prepared.length;
      if (req.after) await req.after(ctx, runs);
      results.push(runs);
    }
    return results;
  }

  async #row(tenantId: string, id: string): Promise<RunsTable> {
    const row = await this.#store.db.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id).executeTakeFirst();
    if (!row) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(id)}`);
    return row;
  }

  async get(tenantId: string, id: string): Promise<Run> {
    return toRun(await this.#row(tenantId, id), this.#store.wire);
  }

  async list(tenantId: string, f: RunListFilter): Promise<Page<Run>> {
    let q = this.#store.db.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId);
    if (f.agent) q = q.where('agent', '=', f.agent);
    if (f.status && f.status.length > 0) {
      const bad = f.status.filter((s) => !RUN_STATUSES.includes(s));
      if (bad.length) throw new DomainError('VALIDATION_ERROR', `unknown status ${bad.join(', ')}`, [{ path: 'status', message: `must be one of ${RUN_STATUSES.join(', ')}` }]);
      q = q.where('status', 'in', f.status);
    }
    if (f.createdAfter !== undefined) q = q.where('created_at', '>=', f.createdAfter);
    if (f.createdBefore !== undefined) q = q.where('created_at', '<', f.createdBefore);
    if (f.root !== undefined) q = q.where('root_run_id', '=', f.root);
    const page = await newestFirstPage(q, { cursor: f.cursor, limit: f.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [r.created_at, r.id] });
    return { data: page.rows.map((r) => toRun(r, this.#store.wire)), next_cursor: page.next_cursor };
  }

  /** The run's children, newest first (a 404 for a run this tenant does not have). */
  async children(tenantId: string, id: string, page: { limit: number; cursor?: string }): Promise<Page<Run>> {
    await this.#row(tenantId, id);
    const q = this.#store.db.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('parent_run_id', '=', id);
    const rows = await newestFirstPage(q, { cursor: page.cursor, limit: page.limit, timeColumn: 'created_at', keyColumn: 'id', cursorOf: (r) => [r.created_at, r.id] });
    return { data: rows.rows.map((r) => toRun(r, this.#store.wire)), next_cursor: rows.next_cursor };
  }

  async attempts(tenantId: string, id: string): Promise<RunAttempt[]> {
    await this.#row(tenantId, id);
    // The ended attempts and the open one (from the run row, outcome running), in attempt order.
    return (await attemptsOfRun(this.#store.db, tenantId, id)).map((r) => toAttempt(r, this.#store.wire));
  }

  /** Cancels a run that has not ended (see cancelRun); `after` runs in the cancelling transaction. */
  async cancel(tenantId: string, id: string, opts: { reason?: string | null; after?: AfterWrite<Run> } = {}): Promise<Run> {
    const reason = opts.reason ?? null;
    const { after } = opts;
    return this.#store.writer.write(async (ctx) => {
      // Locked to the commit: a completion racing this cancel waits, then finds the run ended.
      let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
      if (ctx.rowLocks) q = q.forUpdate();
      const run = await q.executeTakeFirst();
      if (!run) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(id)}`);
      const updated = await cancelRun(ctx, run, reason);
      if (!updated) throw new DomainError('RUN_ALREADY_TERMINAL', `run ${id} already ended as ${run.status}`, { status: run.status });
      const result = toRun(updated, this.#store.wire);
      if (after) await after(ctx, result);
      return result;
    });
  }

  /**
   * A live control: changes a run that has not ended, based on its `generation` (the caller's
   * view of it; a stale one is GENERATION_CONFLICT). `after` runs in the same transaction.
   */
  async update(tenantId: string, id: string, req: RunUpdateInput, opts: { after?: AfterWrite<Run> } = {}): Promise<Run> {
    return this.#store.writer.write(async (ctx) => {
      let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', id);
      if (ctx.rowLocks) q = q.forUpdate();
      const run = await q.executeTakeFirst();
      if (!run) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(id)}`);
      if (isTerminal(run.status as RunStatus)) throw new DomainError('RUN_ALREADY_TERMINAL', `run ${id} already ended as ${run.status}; only a live run can be changed`, { status: run.status });
      if (req.generation !== run.generation) {
        throw new DomainError('GENERATION_CONFLICT', `run ${id} is at generation ${run.generation}, not ${req.generation}: read it again and reapply the change`, { generation: run.generation });
      }
      const updated = await updateRunControls(ctx, run, checkedChange(run, req, ctx.now));
      if (!updated) throw new Error(`run ${id} changed under its row lock`);
      const result = toRun(updated, this.#store.wire);
      if (opts.after) await opts.after(ctx, result);
      return result;
    });
  }
}

export interface RunUpdateInput {
  generation: number;
  max_attempts?: number;
  retry?: Partial<Omit<RetryPolicy, 'max_attempts'>>;
  /** ISO time; null clears the deadline. */
  deadline?: string | null;
  priority?: number;
}

/**
 * The change, checked against the run as it stands: max_attempts must leave room for the
 * attempts the run has made (and, queued, for the one it is about to make); the retry policy's
 * intervals stay ordered; a new deadline is in the future. RUN_UPDATE_INVALID names each field.
 */
function checkedChange(run: RunsTable, req: RunUpdateInput, now: number): RunControlChange {
  const problems: FieldProblem[] = [];
  const change: RunControlChange = {};
  if (req.max_attempts !== undefined) {
    const least = Math.max(1, run.attempts + (run.status === 'queued' ? 1 : 0));
    if (req.max_attempts < least) problems.push({ path: 'max_attempts', message: `must be at least ${least}: the run has made ${run.attempts} attempt(s)${run.status === 'queued' ? ' and is queued for another' : ''}` });
    else change.max_attempts = req.max_attempts;
  }
  if (req.retry !== undefined) {
    const merged = { ...(JSON.parse(run.retry) as RetryPolicy), ...req.retry };
    if (merged.max_interval_ms < merged.initial_interval_ms) problems.push({ path: 'retry.max_interval_ms', message: 'must not be less than initial_interval_ms' });
    else change.retry = merged;
  }
  if (req.deadline !== undefined) {
    const at = req.deadline === null ? null : Date.parse(req.deadline);
    if (at !== null && !(at > now)) problems.push({ path: 'deadline', message: 'must be in the future (cancel the run to end it now)' });
    else change.deadline_at = at;
  }
  if (req.priority !== undefined) change.priority = req.priority;
  if (problems.length > 0) throw new DomainError('RUN_UPDATE_INVALID', problems.map((p) => `${p.path} ${p.message}`).join('; '), problems);
  return change;
}
