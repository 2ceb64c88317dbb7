import type { HeartbeatResult, Run, RunFailure, Task } from '@agentd/protocol';
import type { RunsTable, Store, WriteContext } from '../store/index.ts';
import type { AgentService } from '../agents/index.ts';
import type { Clock } from '../core/index.ts';
import { failAttempt, type FailureOutcome } from '../runs/index.ts';
import { completeChunk, type CompletionItem, type CompletionResult } from './batched-completion.ts';
import { completeOp, failOp, releaseOp } from './lease-completion.ts';
import { appendEventsOp, checkWorkerEvents, heartbeatOp, type WorkerEvent } from './lease-reports.ts';
import { ParkedPollers } from './long-poll.ts';
import { endpointFilter, leaseCandidates, leaseIdsIn, type LeaseRequest } from './run-leasing.ts';

export type { CompletionItem, CompletionResult } from './batched-completion.ts';
export type { LeaseRequest } from './run-leasing.ts';

/** Completions per set-wise write: keeps each statement's parameters well under SQLite's limit. */
const COMPLETION_CHUNK = 200;

/** Re-check for runs this often while long-polling, for runs whose backoff ends (no wake-up for that). */
const POLL_RECHECK_MS = 250;

/**
 * The worker protocol: long-poll leasing (run-leasing.ts, long-poll.ts), heartbeats and events
 * (lease-reports.ts), completion one at a time (lease-completion.ts) and batched
 * (batched-completion.ts). Every call is fenced by its lease.
 */
export class LeaseService {
  readonly #store: Store;
  readonly #parked: ParkedPollers;
  readonly #agents: AgentService;
  readonly #clock: Clock;
  readonly #random: () => number;

  /** `random`: the backoff's jitter source; default Math.random. */
  constructor(deps: { store: Store; agents: AgentService; clock: Clock; random?: () => number }) {
    this.#store = deps.store;
    this.#parked = new ParkedPollers(deps.store.notifier);
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
      const handed = await this.#parked.wait(req, await endpointFilter(this.#agents, req), Math.min(remaining, POLL_RECHECK_MS));
      if (handed.length > 0) return handed;
    }
  }

  /**
   * One attempt to lease, without waiting. A cheap read first keeps idle polls off the writer:
   * whether one run is there (the write reads the candidates again, under its lock).
   */
  async leaseOnce(req: LeaseRequest): Promise<Task[]> {
    const endpoints = await endpointFilter(this.#agents, req);
    const peek = await leaseCandidates(this.#store, { ...req, maxTasks: 1 }, endpoints, this.#clock.now(), this.#store.db, false);
    if (peek.length === 0) return [];
    return this.#store.writer.write(async (ctx) => {
      const ids = await leaseCandidates(this.#store, req, endpoints, ctx.now, ctx.trx, true);
      return leaseIdsIn(ctx, req, ids);
    });
  }

  /**
   * Called by the transaction that creates `runs` (queued, just inserted): leases them to pollers
   * parked on this node for their agent, in the same transaction (see ParkedPollers.handOffIn).
   */
  handOffIn(ctx: WriteContext, runs: RunsTable[]): Promise<void> {
    return this.#parked.handOffIn(ctx, runs, leaseIdsIn);
  }

  async heartbeat(tenantId: string, leaseId: string): Promise<HeartbeatResult> {
    return this.#store.writer.write((ctx) => heartbeatOp(ctx, tenantId, leaseId));
  }

  async appendEvents(tenantId: string, leaseId: string, events: WorkerEvent[]): Promise<number[]> {
    checkWorkerEvents(events);
    return this.#store.writer.write((ctx) => appendEventsOp(ctx, tenantId, leaseId, events));
  }

  async complete(tenantId: string, leaseId: string, output: unknown): Promise<Run> {
    return this.#store.writer.write((ctx) => completeOp(ctx, this.#agents, tenantId, leaseId, output));
  }

  async fail(tenantId: string, leaseId: string, failure: RunFailure): Promise<Run> {
    return this.#store.writer.write((ctx) => failOp(ctx, this.#random, tenantId, leaseId, failure));
  }

  /**
   * Ends the run's current attempt with a failure (the state machine's failAttempt), with this
   * service's source of backoff jitter. The sweeper's way to end expired leases (`immediateRetry`)
   * and attempts past their timeout.
   */
  failAttempt(
    ctx: WriteContext,
    run: RunsTable,
    failure: RunFailure,
    outcome: FailureOutcome,
    opts: { immediateRetry?: boolean } = {},
  ): Promise<RunsTable | undefined> {
    return failAttempt(ctx, run, failure, { outcome, random: this.#random, immediateRetry: opts.immediateRetry });
  }

  /** Gives a run back at once (graceful shutdown); the attempt is not charged to the retry budget. */
  async release(tenantId: string, leaseId: string): Promise<Run> {
    return this.#store.writer.write((ctx) => releaseOp(ctx, tenantId, leaseId));
  }

  /**
   * Batched completion: one operation per chunk of results, each fenced by its own lease (see
   * completeChunk).
   */
  async completeBatch(tenantId: string, items: CompletionItem[]): Promise<CompletionResult[]> {
    const results: CompletionResult[] = [];
    for (let i = 0; i < items.length; i += COMPLETION_CHUNK) {
      const chunk = items.slice(i, i + COMPLETION_CHUNK);
      results.push(...(await this.#store.writer.write((ctx) => completeChunk(ctx, { agents: this.#agents, random: this.#random }, tenantId, chunk))));
    }
    return results;
  }
}
