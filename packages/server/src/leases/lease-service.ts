import { EventType, isWorkerEventType, type HeartbeatResult, type Run, type RunFailure, type Task } from '@agentd/protocol';
import { schemaProblems } from '@agentd/protocol/manifest';
import { CompiledQuery, sql, type Kysely, type Transaction } from 'kysely';
import { PREPARE } from '../store/index.ts';
import type { Database } from '../store/index.ts';
import type { Store } from '../store/index.ts';
import type { RunAttemptsTable, RunsTable } from '../store/index.ts';
import type { WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import type { AgentService } from '../agents/index.ts';
import { isFinalFailure, retryDelayMs } from '../runs/index.ts';
import type { Clock } from '../core/index.ts';
import { anyOf, tenantIs } from '../store/index.ts';
import type { WireFormat } from '../core/index.ts';
import { toRun } from '../runs/index.ts';
import { appendRunEvents, cancelPendingApprovals, endAttempt, transitionRun, wakeKey } from '../runs/index.ts';
import { staleLease, staleLeaseError } from './lease-fence.ts';

export interface LeaseRequest {
  tenantId: string;
  agent: string;
  endpoints?: string[];
  maxTasks: number;
  waitMs: number;
  workerId: string | null;
  leaseTtlMs: number;
  signal?: AbortSignal;
}

export type CompletionItem = { lease_id: string; output: unknown } | { lease_id: string; error: RunFailure };
export type CompletionResult = { lease_id: string; ok: true } | { lease_id: string; ok: false; error: { code: string; message: string; details: unknown } };

/** Completions per set-wise write: keeps each statement's parameters well under SQLite's limit. */
const COMPLETION_CHUNK = 200;

const ATTEMPT_COLUMNS = ['tenant_id', 'run_id', 'attempt', 'lease_id', 'worker_id', 'started_at', 'ended_at', 'outcome', 'error'] as const;

/** Re-check for runs this often while long-polling, for runs whose backoff ends (no wake-up for that). */
const POLL_RECHECK_MS = 250;

interface ParkedPoller {
  req: LeaseRequest;
  endpoints: string[] | undefined;
  /** Taken by a creating transaction that has not committed yet. */
  claimed: boolean;
  deliver(tasks: Task[]): void;
}

export class LeaseService {
  readonly #store: Store;
  /** Long-polls waiting on this node, by `tenant\u0000agent`, oldest first. */
  readonly #parked = new Map<string, ParkedPoller[]>();
  readonly #agents: AgentService;
  readonly #clock: Clock;
  readonly #random: () => number;

  /** `random`: the backoff's jitter source; default Math.random. */
  constructor(deps: { store: Store; agents: AgentService; clock: Clock; random?: () => number }) {
    this.#store = deps.store;
    this.#agents = deps.agents;
    this.#clock = deps.clock;
    this.#random = deps.random ?? Math.random;
  }

  /** Leases up to `maxTasks` runs, waiting up to `waitMs` for one to become available. */
  async lease(req: LeaseRequest): Promise<Task[]> {
    const until = Date.now() + req.waitMs;
    for (;;) {
      const tasks = await this.leaseOnce(req);
      const remaining = until - Date.now();
      if (tasks.length > 0 || remaining <= 0 || req.signal?.aborted) return tasks;
      const handed = await this.#waitForWork(req, await this.#endpointFilter(req), Math.min(remaining, POLL_RECHECK_MS));
      if (handed.length > 0) return handed;
    }
  }

  /**
   * Parks the poller until a wake-up, the re-check interval, or a hand-off: a run created on
   * this node while the poller waits is leased to it inside the creating transaction (one
   * commit instead of two), and the tasks arrive here once that commits.
   */
  #waitForWork(req: LeaseRequest, endpoints: string[] | undefined, ms: number): Promise<Task[]> {
    return new Promise((resolve) => {
      const key = wakeKey(req.tenantId, req.agent);
      const parked: ParkedPoller = {
        req,
        endpoints,
        claimed: false,
        deliver: (tasks) => finish(tasks),
      };
      const finish = (tasks: Task[]) => {
        clearTimeout(timer);
        off();
        req.signal?.removeEventListener('abort', wake);
        this.#unpark(key, parked);
        resolve(tasks);
      };
      // A wake-up ends the wait unless a creating transaction has claimed this poller: then its
      // commit (or rollback) decides.
      const wake = () => {
        if (!parked.claimed) finish([]);
      };
      const timer = setTimeout(wake, ms);
      const off = this.#store.notifier.on(`queue:${key}`, wake);
      req.signal?.addEventListener('abort', wake, { once: true });
      const list = this.#parked.get(key);
      if (list) list.push(parked);
      else this.#parked.set(key, [parked]);
    });
  }

  #unpark(key: string, parked: ParkedPoller): void {
    const list = this.#parked.get(key);
    if (!list) return;
    const i = list.indexOf(parked);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#parked.delete(key);
  }

  /**
   * Called by the transaction that creates `runs` (queued, just inserted): leases them to pollers
   * parked on this node for their agent, in the same transaction. Runs nobody waits for stay
   * queued for the usual wake-up.
   */
  async handOffIn(ctx: WriteContext, runs: RunsTable[]): Promise<void> {
    const byAgent = new Map<string, RunsTable[]>();
    for (const r of runs) {
      const key = wakeKey(r.tenant_id, r.agent);
      if (!this.#parked.has(key)) continue;
      const list = byAgent.get(key);
      if (list) list.push(r);
      else byAgent.set(key, [r]);
    }
    for (const [key, candidates] of byAgent) {
      let left = [...candidates].sort((a, b) => b.priority - a.priority);
      for (const poller of [...(this.#parked.get(key) ?? [])]) {
        if (left.length === 0) break;
        if (poller.claimed || poller.req.signal?.aborted) continue;
        const mine = left.filter((r) => !poller.endpoints || poller.endpoints.includes(r.endpoint)).slice(0, poller.req.maxTasks);
        if (mine.length === 0) continue;
        poller.claimed = true;
        // Rolled back: the poller goes back to polling on its own (its timer may have passed).
        ctx.onRollback.push(() => {
          poller.claimed = false;
          poller.deliver([]);
        });
        const tasks = await this.#leaseIds(ctx, poller.req, mine.map((r) => r.id));
        ctx.afterCommit.push(() => poller.deliver(tasks));
        const taken = new Set(mine.map((r) => r.id));
        left = left.filter((r) => !taken.has(r.id));
      }
    }
  }

  /**
   * The endpoints to lease from, minus disabled ones; `undefined` means all. Read before the
   * write transaction: on SQLite the transaction holds the only connection.
   */
  async #endpointFilter(req: LeaseRequest): Promise<string[] | undefined> {
    const disabled = await this.#agents.disabledEndpoints(req.tenantId, req.agent);
    if (disabled.size === 0) return req.endpoints;
    let endpoints = req.endpoints;
    if (!endpoints) {
      // An unknown agent has no endpoints to lease from; any other error is the caller's.
      const agent = await this.#agents.get(req.tenantId, req.agent).catch((err: unknown) => {
        if (err instanceof DomainError && err.code === 'AGENT_NOT_FOUND') return null;
        throw err;
      });
      endpoints = agent ? Object.keys(agent.endpoints) : [];
    }
    return endpoints.filter((e) => !disabled.has(e));
  }

  async #candidates(req: LeaseRequest, endpoints: string[] | undefined, now: number, db: Kysely<Database> | Transaction<Database>, lock: boolean): Promise<string[]> {
    if (endpoints && endpoints.length === 0) return [];
    let q = db
      .selectFrom('runs')
      .select('id')
      .where('tenant_id', '=', req.tenantId)
      .where('agent', '=', req.agent)
      // A literal, not a parameter: the planner can then use the partial index runs_ready.
      .where(sql<boolean>`status = 'queued'`)
      .where('available_at', '<=', now)
      .where((eb) => eb.or([eb('deadline_at', 'is', null), eb('deadline_at', '>', now)]));
    if (endpoints) q = q.where('endpoint', 'in', endpoints);
    q = q.orderBy('priority', 'desc').orderBy('available_at').orderBy('id').limit(req.maxTasks);
    // On PostgreSQL concurrent pollers skip each other's rows instead of queueing on them.
    if (lock && this.#store.capabilities.skipLocked) q = q.forUpdate().skipLocked();
    return (await q.execute()).map((r) => r.id);
  }

  /** One attempt to lease, without waiting. A cheap read first keeps idle polls off the writer. */
  async leaseOnce(req: LeaseRequest): Promise<Task[]> {
    const endpoints = await this.#endpointFilter(req);
    const peek = await this.#candidates(req, endpoints, this.#clock.now(), this.#store.db, false);
    if (peek.length === 0) return [];
    return this.#store.writer.write(async (ctx) => {
      const ids = await this.#candidates(req, endpoints, ctx.now, ctx.trx, true);
      return this.#leaseIds(ctx, req, ids);
    });
  }

  /** Leases these queued runs to `req`'s worker: one UPDATE, one attempts INSERT, one event each. */
  async #leaseIds(ctx: WriteContext, req: LeaseRequest, ids: string[]): Promise<Task[]> {
    if (ids.length === 0) return [];
    // One UPDATE for the whole lease: each run gets its own lease id (a CASE on SQLite, a join
    // with array parameters on PostgreSQL, where the same statement also inserts the attempts).
    const onPostgres = this.#store.capabilities.dialect === 'postgres';
    const leaseIds = new Map(ids.map((id) => [id, this.#store.ids.next('lse', ctx.now)]));
    const updated = onPostgres ? await this.#leaseUpdatePg(ctx, req, ids, leaseIds) : await ctx.trx
      .updateTable('runs')
      .set((eb) => ({
        status: 'running',
        attempts: eb('attempts', '+', 1),
        lease_id: sql<string>`CASE id ${sql.join(
          ids.map((id) => sql`WHEN ${id} THEN ${leaseIds.get(id)}`),
          sql` `,
        )} END`,
        lease_expires_at: ctx.now + req.leaseTtlMs,
        lease_ttl_ms: req.leaseTtlMs,
        attempt_deadline_at: sql<number>`${ctx.now} + timeout_ms`,
        worker_id: req.workerId,
        started_at: sql<number>`coalesce(started_at, ${ctx.now})`,
        waiting_reason: null,
        updated_at: ctx.now,
        last_seq: eb('last_seq', '+', 1),
      }))
      .where(tenantIs('sqlite', req.tenantId)) // SQLite's branch: kept off runs_ready, see tenantIs
      .where('id', 'in', ids)
      .where(sql<boolean>`status = 'queued'`)
      // What a task and its event need, not the whole row: a lease moves up to a hundred runs.
      .returning(LEASED_COLUMNS)
      .execute();
    const order = new Map(ids.map((id, i) => [id, i]));
    updated.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    const attempts: RunAttemptsTable[] = [];
    const tasks: Task[] = [];
    for (const run of updated) {
      const leaseId = run.lease_id!;
      ctx.events.push({ tenant_id: run.tenant_id, run_id: run.id, agent: run.agent, seq: run.last_seq, type: EventType.runStarted, at: ctx.now, data: { lease_id: leaseId, worker_id: req.workerId, attempt: run.attempts } });
      if (!onPostgres) attempts.push({ tenant_id: req.tenantId, run_id: run.id, attempt: run.attempts, lease_id: leaseId, worker_id: req.workerId, started_at: ctx.now, ended_at: null, outcome: 'running', error: null });
      tasks.push(toTask(run, req.leaseTtlMs, this.#store.wire));
    }
    if (!onPostgres) await this.#store.insertRows(ctx.trx, 'run_attempts', ATTEMPT_COLUMNS, attempts);
    return tasks;
  }

  /**
   * The same UPDATE on PostgreSQL, its ids and lease ids as two array parameters: one text for
   * every batch size, so it is prepared once per connection. It also inserts each leased run's
   * attempt row (a writable CTE): a lease is one round trip, not two.
   */
  async #leaseUpdatePg(ctx: WriteContext, req: LeaseRequest, ids: string[], leaseIds: Map<string, string>): Promise<LeasedRun[]> {
    const text = `${PREPARE}with leased as (
        update runs as r set status = 'running', attempts = r.attempts + 1, lease_id = v.lease_id,
          lease_expires_at = $3::bigint, lease_ttl_ms = $4::bigint, attempt_deadline_at = $5::bigint + r.timeout_ms, worker_id = $6::text,
          started_at = coalesce(r.started_at, $5::bigint), waiting_reason = null, updated_at = $5::bigint, last_seq = r.last_seq + 1
        from unnest($1::text[], $2::text[]) as v(id, lease_id)
        where r.id = v.id and r.tenant_id = $7::text and r.status = 'queued'
        returning ${LEASED_COLUMNS.map((c) => `r.${c}`).join(', ')}
      ), attempt as (
        insert into run_attempts (tenant_id, run_id, attempt, lease_id, worker_id, started_at, ended_at, outcome, error)
        select tenant_id, id, attempts, lease_id, $6::text, $5::bigint, null, 'running', null from leased
      )
      select * from leased`;
    const params = [ids, ids.map((id) => leaseIds.get(id)), ctx.now + req.leaseTtlMs, req.leaseTtlMs, ctx.now, req.workerId, req.tenantId];
    return (await ctx.trx.executeQuery<LeasedRun>(CompiledQuery.raw(text, params))).rows;
  }

  /**
   * The set-wise success UPDATE on PostgreSQL: ids and outputs as two array parameters (prepared
   * once). It also ends each run's attempt (a writable CTE): the runs are locked since the read,
   * so the lease each one returns is the one read, and the completion saves a round trip.
   */
  async #succeedPg(ctx: WriteContext, tenantId: string, fast: { run: LiveRun; output: unknown }[]): Promise<SucceededRun[]> {
    const text = `${PREPARE}with done as (
        update runs as r set status = 'succeeded', output = v.output, waiting_reason = null, waiting_since = null,
          finished_at = $3::bigint, lease_expires_at = null, updated_at = $3::bigint, last_seq = r.last_seq + 1
        from unnest($1::text[], $2::text[]) as v(id, output)
        where r.id = v.id and r.tenant_id = $4::text and r.status in ('running', 'waiting')
        returning r.id, r.tenant_id, r.agent, r.last_seq, r.lease_id, r.attempts
      ), ended as (
        update run_attempts as a set ended_at = $3::bigint, outcome = 'succeeded', error = null
        from done where a.tenant_id = done.tenant_id and a.lease_id = done.lease_id and a.outcome = 'running'
      )
      select * from done`;
    const params = [fast.map((f) => f.run.id), fast.map((f) => JSON.stringify(f.output)), ctx.now, tenantId];
    return (await ctx.trx.executeQuery<SucceededRun>(CompiledQuery.raw(text, params))).rows;
  }

  /**
   * The run a lease names, locked to the commit: the status this call decides on (running, not
   * yet cancelled or completed by a concurrent transaction) still holds when it writes, so no
   * event lands after a run's terminal one.
   */
  async #runByLease(ctx: WriteContext, tenantId: string, leaseId: string): Promise<RunsTable | undefined> {
    let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId);
    if (ctx.rowLocks) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  async #attempt(ctx: WriteContext, tenantId: string, leaseId: string): Promise<RunAttemptsTable | undefined> {
    return ctx.trx.selectFrom('run_attempts').selectAll().where('tenant_id', '=', tenantId).where('lease_id', '=', leaseId).executeTakeFirst();
  }

  async heartbeat(tenantId: string, leaseId: string): Promise<HeartbeatResult> {
    return this.#store.writer.write(async (ctx) => {
      const run = await this.#runByLease(ctx, tenantId, leaseId);
      if (run?.status === 'cancelled') return { lease_id: leaseId, run_id: run.id, status: 'cancelled', lease_expires_at: this.#store.wire.iso(ctx.now) };
      if (!run || (run.status !== 'running' && run.status !== 'waiting')) throw await staleLease(ctx.trx, { tenantId, leaseId });
      const expires = ctx.now + (run.lease_ttl_ms ?? 30_000);
      await ctx.trx.updateTable('runs').set({ lease_expires_at: expires }).where('tenant_id', '=', tenantId).where('id', '=', run.id).where('lease_id', '=', leaseId).execute();
      return { lease_id: leaseId, run_id: run.id, status: 'active', lease_expires_at: this.#store.wire.iso(expires) };
    });
  }

  async complete(tenantId: string, leaseId: string, output: unknown): Promise<Run> {
    return this.#store.writer.write((ctx) => this.#completeOp(ctx, tenantId, leaseId, output));
  }

  async #completeOp(ctx: WriteContext, tenantId: string, leaseId: string, output: unknown): Promise<Run> {
    const value = output === undefined ? null : output;
    const run = await this.#runByLease(ctx, tenantId, leaseId);
    if (run && (run.status === 'running' || run.status === 'waiting')) {
      // Checked before anything is written: an invalid output leaves the run leased, unchanged.
      const ep = await this.#agents.resolve({ tenantId, agent: run.agent, version: run.agent_version, endpoint: run.endpoint, db: ctx.trx });
      if (!ep.validateOutput(value)) {
        throw new DomainError('OUTPUT_INVALID', `output does not match the schema of ${run.agent}/${run.endpoint}`, schemaProblems('output', ep.validateOutput.errors));
      }
      await cancelPendingApprovals(ctx, run, 'the run completed');
      const updated = await transitionRun(
        ctx,
        run,
        { status: ['running', 'waiting'], leaseId },
        { status: 'succeeded', output: JSON.stringify(value), waiting_reason: null, waiting_since: null, finished_at: ctx.now, lease_expires_at: null },
        { type: EventType.runSucceeded, data: { output: value, attempt: run.attempts } },
      );
      if (updated) {
        await endAttempt(ctx, run.tenant_id, leaseId, 'succeeded', null);
        return toRun(updated, this.#store.wire);
      }
    }
    // A repeated complete (its first response was lost) succeeds again and changes nothing.
    if (run && run.status === 'succeeded') {
      const attempt = await this.#attempt(ctx, tenantId, leaseId);
      if (attempt?.outcome === 'succeeded') return toRun(run, this.#store.wire);
    }
    throw await staleLease(ctx.trx, { tenantId, leaseId });
  }

  async fail(tenantId: string, leaseId: string, failure: RunFailure): Promise<Run> {
    return this.#store.writer.write((ctx) => this.#failOp(ctx, tenantId, leaseId, failure));
  }

  async #failOp(ctx: WriteContext, tenantId: string, leaseId: string, failure: RunFailure): Promise<Run> {
    const run = await this.#runByLease(ctx, tenantId, leaseId);
    if (!run || (run.status !== 'running' && run.status !== 'waiting')) {
      const attempt = await this.#attempt(ctx, tenantId, leaseId);
      if (attempt?.outcome === 'failed') {
        const current = await ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', attempt.run_id).executeTakeFirstOrThrow();
        return toRun(current, this.#store.wire); // a repeated fail: already recorded
      }
      throw await staleLease(ctx.trx, { tenantId, leaseId });
    }
    const updated = await this.failAttempt(ctx, run, failure, 'failed');
    if (!updated) throw staleLeaseError(leaseId, true);
    return toRun(updated, this.#store.wire);
  }

  /**
   * Ends the run's current attempt with a failure: retried with backoff, or final. Also used by
   * the sweeper for expired leases (`retryAt` now) and attempt timeouts (final → `timed_out`).
   */
  async failAttempt(
    ctx: WriteContext,
    initial: RunsTable,
    failure: RunFailure,
    outcome: 'failed' | 'lease_expired' | 'timed_out',
    opts: { immediateRetry?: boolean } = {},
  ): Promise<RunsTable | undefined> {
    let run = initial;
    const policy = JSON.parse(run.retry) as import('@agentd/protocol').RetryPolicy;
    const leaseId = run.lease_id!;
    const final = isFinalFailure({ ...policy, max_attempts: run.max_attempts }, run.attempts, failure);
    let updated: RunsTable | undefined;
    if (final) {
      const timedOut = outcome === 'timed_out';
      await cancelPendingApprovals(ctx, run, 'the run ended');
      updated = await transitionRun(
        ctx,
        run,
        { status: ['running', 'waiting'], leaseId },
        { status: timedOut ? 'timed_out' : 'failed', error: JSON.stringify(failure), waiting_reason: null, waiting_since: null, finished_at: ctx.now, lease_expires_at: null },
        { type: timedOut ? EventType.runTimedOut : EventType.runFailed, data: { error: failure, attempt: run.attempts } },
      );
    } else {
      const next = ctx.now + (opts.immediateRetry ? 0 : retryDelayMs(policy, run.attempts, this.#random));
      updated = await transitionRun(
        ctx,
        run,
        { status: ['running', 'waiting'], leaseId },
        { status: 'queued', error: JSON.stringify(failure), available_at: next, waiting_reason: null, waiting_since: null, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
        { type: EventType.runRetrying, data: { attempt: run.attempts, error: failure, next_attempt_at: this.#store.wire.iso(next) } },
      );
      ctx.wakes.add(wakeKey(run.tenant_id, run.agent));
    }
    if (updated) await endAttempt(ctx, run.tenant_id, leaseId, outcome, failure);
    return updated;
  }

  /** Gives a run back at once (graceful shutdown); the attempt is not charged to the retry budget. */
  async release(tenantId: string, leaseId: string): Promise<Run> {
    return this.#store.writer.write(async (ctx) => {
      const run = await this.#runByLease(ctx, tenantId, leaseId);
      if (!run || (run.status !== 'running' && run.status !== 'waiting')) throw await staleLease(ctx.trx, { tenantId, leaseId });
      const updated = await transitionRun(
        ctx,
        run,
        { status: ['running', 'waiting'], leaseId },
        // Attempt numbers only grow; extending max_attempts keeps the budget whole instead.
        { status: 'queued', waiting_reason: null, waiting_since: null, available_at: ctx.now, max_attempts: run.max_attempts + 1, lease_id: null, lease_expires_at: null, attempt_deadline_at: null, worker_id: null },
        { type: EventType.runQueued, data: { reason: 'released', attempt: run.attempts } },
      );
      if (!updated) throw staleLeaseError(leaseId, true);
      await endAttempt(ctx, run.tenant_id, leaseId, 'released', null);
      ctx.wakes.add(wakeKey(run.tenant_id, run.agent));
      return toRun(updated, this.#store.wire);
    });
  }

  async appendEvents(tenantId: string, leaseId: string, events: { type: string; data?: Record<string, unknown> }[]): Promise<number[]> {
    events.forEach((e, i) => {
      if (!isWorkerEventType(e.type)) {
        throw new DomainError('VALIDATION_ERROR', `event type ${JSON.stringify(e.type)} is not one a worker may send`, [
          { path: `events.${i}.type`, message: 'must be run.log, run.progress, run.output.delta or custom.<name>' },
        ]);
      }
    });
    return this.#store.writer.write(async (ctx) => {
      const run = await this.#runByLease(ctx, tenantId, leaseId);
      if (!run || (run.status !== 'running' && run.status !== 'waiting')) throw await staleLease(ctx.trx, { tenantId, leaseId });
      return appendRunEvents(ctx, run, events.map((e) => ({ type: e.type, data: e.data ?? {} })));
    });
  }

  /**
   * Batched completion: one operation for many results, each fenced by its own lease. Successes
   * of live leases are written set-wise (one UPDATE of the runs, one of the attempts); anything
   * else — failures, replays, stale leases — takes the single-item path inside the same
   * transaction, so every item gets exactly the answer it would get alone.
   */
  async completeBatch(tenantId: string, items: CompletionItem[]): Promise<CompletionResult[]> {
    const results: CompletionResult[] = [];
    for (let i = 0; i < items.length; i += COMPLETION_CHUNK) {
      const chunk = items.slice(i, i + COMPLETION_CHUNK);
      results.push(...(await this.#store.writer.write((ctx) => this.#completeChunk(ctx, tenantId, chunk))));
    }
    return results;
  }

  async #completeChunk(ctx: WriteContext, tenantId: string, items: CompletionItem[]): Promise<CompletionResult[]> {
    const asResult = (leaseId: string, err: unknown): CompletionResult => {
      if (err instanceof DomainError) return { lease_id: leaseId, ok: false, error: { code: err.code, message: err.message, details: err.details ?? null } };
      throw err;
    };
    const dialect = this.#store.capabilities.dialect;
    // Only what the completion needs: not the input, output or metadata of a hundred runs.
    let q = ctx.trx
      .selectFrom('runs')
      .select(['id', 'tenant_id', 'agent', 'agent_version', 'endpoint', 'status', 'lease_id'])
      .where('tenant_id', '=', tenantId)
      .where(anyOf(dialect, 'lease_id', items.map((it) => it.lease_id)));
    if (this.#store.capabilities.skipLocked) q = q.forUpdate();
    const live = new Map((await q.execute()).filter((r) => r.status === 'running' || r.status === 'waiting').map((r) => [r.lease_id!, r]));
    const results = new Map<number, CompletionResult>();
    const fast: { index: number; run: LiveRun; output: unknown }[] = [];
    const seen = new Set<string>();
    for (const [index, it] of items.entries()) {
      const run = live.get(it.lease_id);
      if (!('output' in it) || !run || seen.has(it.lease_id)) continue;
      seen.add(it.lease_id);
      const value = it.output === undefined ? null : it.output;
      const ep = await this.#agents.resolve({ tenantId, agent: run.agent, version: run.agent_version, endpoint: run.endpoint, db: ctx.trx });
      if (!ep.validateOutput(value)) {
        results.set(index, asResult(it.lease_id, new DomainError('OUTPUT_INVALID', `output does not match the schema of ${run.agent}/${run.endpoint}`, schemaProblems('output', ep.validateOutput.errors))));
        continue;
      }
      fast.push({ index, run, output: value });
    }
    if (fast.length > 0) {
      const runIds = fast.map((f) => f.run.id);
      const settled = await ctx.trx
        .updateTable('approvals')
        .set({ status: 'cancelled', reason: 'the run completed', decided_at: ctx.now, decided_by: 'system' })
        .where(tenantIs(dialect, tenantId)) // on approvals_run_pending, not approvals_list
        .where(anyOf(dialect, 'run_id', runIds))
        .where(sql<boolean>`status = 'pending'`)
        .returning(['id', 'run_id'])
        .execute();
      for (const a of settled) {
        const run = fast.find((f) => f.run.id === a.run_id)!.run;
        await appendRunEvents(ctx, run, [{ type: 'approval.decided', data: { approval_id: a.id, status: 'cancelled', approved: false, decided_by: 'system', reason: 'the run completed' } }]);
      }
      const updated = dialect === 'postgres' ? await this.#succeedPg(ctx, tenantId, fast) : await ctx.trx
        .updateTable('runs')
        .set((eb) => ({
          status: 'succeeded',
          output: sql<string>`CASE id ${sql.join(
            fast.map((f) => sql`WHEN ${f.run.id} THEN ${JSON.stringify(f.output)}`),
            sql` `,
          )} END`,
          waiting_reason: null,
          waiting_since: null,
          finished_at: ctx.now,
          lease_expires_at: null,
          updated_at: ctx.now,
          last_seq: eb('last_seq', '+', 1),
        }))
        // On the primary key: a plain tenant_id equality made SQLite walk runs_tenant_lease (5× slower).
        .where(tenantIs('sqlite', tenantId))
        .where('id', 'in', runIds)
        .where(sql<boolean>`status IN ('running', 'waiting')`)
        .returning(['id', 'tenant_id', 'agent', 'last_seq', 'lease_id', 'attempts'])
        .execute();
      const done = new Map(updated.map((r) => [r.id, r]));
      for (const f of fast) {
        const r = done.get(f.run.id);
        if (!r || r.lease_id !== f.run.lease_id) continue; // lost between read and write: the single path answers
        ctx.events.push({ tenant_id: r.tenant_id, run_id: r.id, agent: r.agent, seq: r.last_seq, type: EventType.runSucceeded, at: ctx.now, data: { output: f.output, attempt: r.attempts } });
        results.set(f.index, { lease_id: f.run.lease_id!, ok: true });
      }
      // On PostgreSQL the UPDATE ended the attempts itself.
      if (dialect !== 'postgres') {
        await ctx.trx
          .updateTable('run_attempts')
          .set({ ended_at: ctx.now, outcome: 'succeeded', error: null })
          .where('tenant_id', '=', tenantId)
          .where(anyOf(dialect, 'lease_id', fast.filter((f) => done.has(f.run.id)).map((f) => f.run.lease_id!)))
          .where('outcome', '=', 'running')
          .execute();
      }
    }
    // Everything else, one by one, with the single-item semantics (replays, stale leases, failures).
    for (const [index, it] of items.entries()) {
      if (results.has(index)) continue;
      try {
        if ('error' in it) await this.#failOp(ctx, tenantId, it.lease_id, it.error);
        else await this.#completeOp(ctx, tenantId, it.lease_id, it.output);
        results.set(index, { lease_id: it.lease_id, ok: true });
      } catch (err) {
        results.set(index, asResult(it.lease_id, err));
      }
    }
    return items.map((_, i) => results.get(i)!);
  }
}

type SucceededRun = Pick<RunsTable, 'id' | 'tenant_id' | 'agent' | 'last_seq' | 'lease_id' | 'attempts'>;
type LiveRun = Pick<RunsTable, 'id' | 'tenant_id' | 'agent' | 'agent_version' | 'endpoint' | 'status' | 'lease_id'>;

const LEASED_COLUMNS = [
  'id', 'tenant_id', 'agent', 'agent_version', 'endpoint', 'input', 'metadata', 'attempts', 'max_attempts',
  'lease_id', 'lease_expires_at', 'deadline_at', 'attempt_deadline_at', 'last_seq',
] as const;
type LeasedRun = Pick<RunsTable, (typeof LEASED_COLUMNS)[number]>;

export function toTask(run: LeasedRun, leaseTtlMs: number, wire: WireFormat): Task {
  return {
    lease_id: run.lease_id!,
    run_id: run.id,
    agent: run.agent,
    agent_version: run.agent_version,
    endpoint: run.endpoint,
    input: JSON.parse(run.input),
    metadata: JSON.parse(run.metadata) as Record<string, unknown>,
    attempt: run.attempts,
    max_attempts: run.max_attempts,
    lease_expires_at: wire.iso(run.lease_expires_at!),
    deadline_at: wire.isoOrNull(run.deadline_at),
    attempt_deadline_at: wire.iso(run.attempt_deadline_at!),
    heartbeat_interval_ms: Math.max(250, Math.floor(leaseTtlMs / 3)),
  };
}
