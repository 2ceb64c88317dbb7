import { isTerminal, type Run, type RunStatus } from '@agentd/protocol';
import type { RunsTable, Store, WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { runByLease, staleLease, type LeaseService } from '../leases/index.ts';
import { createRuns, LEASED_STATUSES, parkRun, resumeAwaitingParent, toRun, waitForChild, type RunService } from '../runs/index.ts';
import { sameJson } from './same-json.ts';

/** How deep a tree and how wide a parent may grow. */
export interface CallLimits {
  /** Deepest a child may be (a root is 0). Config `orchestration.maxDepth`, env AGENTD_MAX_CALL_DEPTH. Default 8. */
  maxDepth: number;
  /** Most children one run may make over all its attempts. Config `orchestration.maxChildren`, env AGENTD_MAX_CHILDREN. Default 100. */
  maxChildren: number;
}

/** A wait for a run's next commit: `woken` resolves on it (or the timer, or the caller hanging up); `cancel` stops listening. */
interface Wake {
  woken: Promise<void>;
  cancel: () => void;
}

export const DEFAULT_CALL_LIMITS: CallLimits = { maxDepth: 8, maxChildren: 100 };

export interface CallRequest {
  agent: string;
  endpoint: string;
  input?: unknown;
  key?: string;
  metadata?: Record<string, unknown>;
  deadline?: string;
}

/**
 * Agent-to-agent calls: a worker starts a child run through its lease (fenced by it) and waits
 * for it. The same (parent, call key) always names the same child, so a parent retried after a
 * crash finds the child its earlier attempt made, finished or not, and never makes a second.
 * While a live child is awaited the parent is `waiting` (reason `child`); the state machine
 * resumes it when its last live child ends, in that child's terminal transaction (the
 * `childEnded` hook this service registers: the first user of the run hooks).
 */
export class CallService {
  readonly #store: Store;
  readonly #runs: RunService;
  readonly #leases: LeaseService;
  readonly #limits: CallLimits;

  constructor(deps: { store: Store; runs: RunService; leases: LeaseService; limits?: Partial<CallLimits> }) {
    this.#store = deps.store;
    this.#runs = deps.runs;
    this.#leases = deps.leases;
    this.#limits = { ...DEFAULT_CALL_LIMITS, ...deps.limits };
    deps.store.runHooks.onChildEnded(resumeAwaitingParent);
  }

  /**
   * Starts the child (or finds the one this key already names). `created`: a new child.
   * `park` (the LLM loop): while the child is live the parent is parked (`waiting`, reason child,
   * its lease given up and its attempt ended) in this same commit; the child's end puts it back
   * in the queue. Otherwise the parent keeps its lease and waits with `wait`.
   */
  async call(tenantId: string, leaseId: string, req: CallRequest, opts: { park?: boolean } = {}): Promise<{ run: Run; created: boolean }> {
    const waitFor = (ctx: WriteContext, parent: RunsTable, childId: string) => (opts.park ? parkRun(ctx, parent, leaseId, 'child', { child_run_id: childId }) : waitForChild(ctx, parent, leaseId, childId));
    let requested: number | null = null;
    if (req.deadline !== undefined) {
      requested = Date.parse(req.deadline);
      if (!Number.isFinite(requested)) throw new DomainError('VALIDATION_ERROR', 'deadline must be an ISO-8601 time', [{ path: 'deadline', message: 'must be an ISO-8601 time' }]);
    }
    // Validated (agent, endpoint, input) before the write, as every run creation is.
    const prepared = await this.#runs.prepare(tenantId, { agent: req.agent, endpoint: req.endpoint, input: req.input, metadata: req.metadata }, '');
    return this.#store.writer.write(async (ctx) => {
      // Locked to the commit: two calls with one key queue here, and a cancel cannot slip between.
      const parent = await runByLease(ctx, tenantId, leaseId, LEASED_STATUSES);
      const key = req.key ?? prepared.run.id;
      const existing = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('parent_run_id', '=', parent.id).where('call_key', '=', key).executeTakeFirst();
      if (existing) {
        if (existing.agent !== prepared.run.agent || existing.endpoint !== prepared.run.endpoint || !sameJson(existing.input, prepared.run.input)) {
          throw new DomainError('CALL_KEY_CONFLICT', `call key ${JSON.stringify(key)} already names child run ${existing.id} (${existing.agent}/${existing.endpoint}) with another request`, {
            child_run_id: existing.id,
            agent: existing.agent,
            endpoint: existing.endpoint,
          });
        }
        if (!isTerminal(existing.status as RunStatus)) await waitFor(ctx, parent, existing.id);
        return { run: toRun(existing, ctx.wire), created: false };
      }
      // A new child only: a replay of its key above answers the child whatever the clock says now.
      if (requested !== null && requested <= ctx.now) throw new DomainError('CALL_DEADLINE_PASSED', `deadline ${req.deadline} is already past`, { deadline: req.deadline, path: 'deadline' });
      this.#checkLimits(parent);
      const deadlines = [parent.deadline_at, requested].filter((d): d is number => d !== null);
      const [row] = await createRuns(ctx, [
        {
          approval: prepared.approval,
          run: {
            ...prepared.run,
            deadline_at: deadlines.length > 0 ? Math.min(...deadlines) : null,
            parent_run_id: parent.id,
            root_run_id: parent.root_run_id ?? parent.id,
            caller_agent: parent.agent,
            depth: parent.depth + 1,
            call_key: key,
          },
        },
      ]);
      await ctx.trx.updateTable('runs').set((eb) => ({ child_count: eb('child_count', '+', 1) })).where('tenant_id', '=', tenantId).where('id', '=', parent.id).execute();
      if (row.status === 'queued') await this.#leases.handOffIn(ctx, [row]);
      await waitFor(ctx, parent, row.id);
      return { run: toRun(row, ctx.wire), created: true };
    });
  }

  #checkLimits(parent: RunsTable): void {
    const { maxDepth, maxChildren } = this.#limits;
    if (parent.depth + 1 > maxDepth) {
      throw new DomainError('CALL_DEPTH_EXCEEDED', `a child of run ${parent.id} would be at depth ${parent.depth + 1}; the most is ${maxDepth}`, { depth: parent.depth + 1, max_depth: maxDepth });
    }
    if (parent.child_count >= maxChildren) {
      throw new DomainError('CHILD_LIMIT_EXCEEDED', `run ${parent.id} already made ${parent.child_count} child runs; the most is ${maxChildren}`, { children: parent.child_count, max_children: maxChildren });
    }
  }

  /**
   * Long-poll for a worker awaiting its child: answers the child once it has ended, or as it
   * stands after `waitMs`. Fenced by the parent's lease like every worker call (a cancelled
   * parent still gets its answer: its heartbeat tells it to stop).
   */
  async wait(req: { tenantId: string; leaseId: string; key: string; waitMs: number; signal?: AbortSignal }): Promise<Run> {
    const { tenantId, leaseId, key, signal } = req;
    const until = Date.now() + req.waitMs;
    let wake: Wake | null = null;
    try {
      for (;;) {
        const parent = await this.#store.db.selectFrom('runs').select(['id', 'status']).where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).executeTakeFirst();
        if (!parent || !['running', 'waiting', 'cancelled'].includes(parent.status)) throw await staleLease(this.#store.db, { tenantId, leaseId });
        const child = await this.#store.db.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('parent_run_id', '=', parent.id).where('call_key', '=', key).executeTakeFirst();
        if (!child) throw new DomainError('RUN_NOT_FOUND', `run ${parent.id} made no call with key ${JSON.stringify(key)}`);
        const remaining = until - Date.now();
        if (isTerminal(child.status as RunStatus) || remaining <= 0 || signal?.aborted) return toRun(child, this.#store.wire);
        if (wake === null) {
          // Listening from now on, then read again: a commit that ended the child between the
          // read above and the listener would otherwise go unheard until the timer.
          wake = this.#wake(child.id, Math.min(remaining, 1000), signal);
          continue;
        }
        await wake.woken;
        wake = null;
      }
    } finally {
      wake?.cancel();
    }
  }

  /** Until the child's next commit, `ms`, or the caller hanging up; listening from the call on. */
  #wake(runId: string, ms: number, signal?: AbortSignal): Wake {
    let cancel!: () => void;
    const woken = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      cancel = done;
      const timer = setTimeout(done, ms);
      const off = this.#store.notifier.on(`run:${runId}`, done);
      signal?.addEventListener('abort', done, { once: true });
    });
    return { woken, cancel };
  }
}
