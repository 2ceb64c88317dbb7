import { EventType } from '@agentd/protocol';
import { sql } from 'kysely';
import type { Store } from '../store/index.ts';
import type { RunsTable } from '../store/index.ts';
import type { Clock } from '../core/index.ts';
import type { LeaseService } from '../leases/index.ts';
import type { ApprovalService } from '../approvals/index.ts';
import { cancelPendingApprovals, endAttempt, transitionRun } from '../runs/index.ts';

/** Rows handled per sweep step; a backlog drains over successive ticks without long transactions. */
const SWEEP_BATCH = 200;

export interface SweepResult {
  expiredLeases: number;
  attemptTimeouts: number;
  deadlines: number;
  idempotencyKeysDeleted: number;
  approvalsExpired: number;
}

/**
 * The server's timers: expired leases go back to the queue, attempts past their timeout fail
 * (and are retried or end `timed_out`), runs past their deadline end `timed_out`, and expired
 * idempotency records are dropped. On PostgreSQL only the leader node sweeps.
 */
export class Sweeper {
  readonly #store: Store;
  readonly #leases: LeaseService;
  readonly #clock: Clock;
  readonly #approvals: ApprovalService;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(store: Store, leases: LeaseService, approvals: ApprovalService, clock: Clock) {
    this.#store = store;
    this.#leases = leases;
    this.#approvals = approvals;
    this.#clock = clock;
  }

  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.#store
        .asLeader(() => this.sweepOnce())
        .catch(() => undefined) // a failed sweep (database briefly down) is retried next tick
        .finally(() => (this.#running = null));
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  async sweepOnce(): Promise<SweepResult> {
    const now = this.#clock.now();
    const db = this.#store.db;
    // A waiting run (worker approval) keeps its lease alive by heartbeats too; a dead worker's lapses.
    // Statuses are SQL literals, not parameters: only then can the planner use the partial indexes.
    const expired = await db.selectFrom('runs').selectAll().where(sql<boolean>`status IN ('running', 'waiting')`).where('lease_expires_at', '<', now).limit(SWEEP_BATCH).execute();
    const timeouts = await db.selectFrom('runs').selectAll().where(sql<boolean>`status = 'running'`).where('attempt_deadline_at', '<', now).limit(SWEEP_BATCH).execute();
    const overdue = await db
      .selectFrom('runs')
      .selectAll()
      .where('deadline_at', 'is not', null)
      .where('deadline_at', '<', now)
      .where(sql<boolean>`status IN ('queued', 'running', 'waiting')`)
      .limit(SWEEP_BATCH)
      .execute();
    const result: SweepResult = { expiredLeases: 0, attemptTimeouts: 0, deadlines: 0, idempotencyKeysDeleted: 0, approvalsExpired: 0 };
    const done = new Set<string>();
    for (const run of overdue) {
      done.add(run.id);
      if (await this.#deadline(run)) result.deadlines++;
    }
    for (const run of timeouts) {
      if (done.has(run.id)) continue;
      done.add(run.id);
      const failure = { type: 'timeout', message: `the attempt ran longer than its timeout of ${run.timeout_ms} ms`, non_retryable: false, details: null };
      if (await this.#failAttempt(run, failure, 'timed_out', false)) result.attemptTimeouts++;
    }
    for (const run of expired) {
      if (done.has(run.id)) continue;
      const failure = { type: 'lease_expired', message: 'the worker stopped heartbeating before its lease expired', non_retryable: false, details: null };
      if (await this.#failAttempt(run, failure, 'lease_expired', true)) result.expiredLeases++;
    }
    result.approvalsExpired = await this.#approvals.expireDue(SWEEP_BATCH);
    const del = await this.#store.writer.write(({ trx }) => trx.deleteFrom('idempotency_keys').where('expires_at', '<', now).executeTakeFirst());
    result.idempotencyKeysDeleted = Number(del.numDeletedRows);
    return result;
  }

  async #failAttempt(run: RunsTable, failure: { type: string; message: string; non_retryable: boolean; details: null }, outcome: 'lease_expired' | 'timed_out', immediate: boolean): Promise<boolean> {
    const updated = await this.#store.writer.write(async (ctx) => {
      // Re-read inside the transaction: the worker may have completed or heartbeated meanwhile.
      const current = await ctx.trx.selectFrom('runs').selectAll().where('id', '=', run.id).where('lease_id', '=', run.lease_id).executeTakeFirst();
      if (!current || !['running', 'waiting'].includes(current.status)) return undefined;
      if (outcome === 'timed_out' && current.status !== 'running') return undefined; // the attempt timeout pauses while waiting
      const stillDue = outcome === 'lease_expired' ? (current.lease_expires_at ?? Infinity) < ctx.now : (current.attempt_deadline_at ?? Infinity) < ctx.now;
      if (!stillDue) return undefined;
      return this.#leases.failAttempt(ctx, current, failure, outcome, { immediateRetry: immediate });
    });
    return updated !== undefined;
  }

  async #deadline(run: RunsTable): Promise<boolean> {
    const updated = await this.#store.writer.write(async (ctx) => {
      const failure = { type: 'deadline_exceeded', message: 'the run passed its deadline', non_retryable: true, details: null };
      await cancelPendingApprovals(ctx, run, 'the run passed its deadline');
      const current = await ctx.trx.selectFrom('runs').selectAll().where('id', '=', run.id).executeTakeFirstOrThrow();
      const u = await transitionRun(
        ctx,
        current,
        { status: ['queued', 'running', 'waiting'] },
        { status: 'timed_out', waiting_reason: null, waiting_since: null, error: JSON.stringify(failure), finished_at: ctx.now, lease_expires_at: null },
        { type: EventType.runTimedOut, data: { error: failure } },
      );
      if (u && (current.status === 'running' || current.status === 'waiting') && current.lease_id) await endAttempt(ctx, current.lease_id, 'timed_out', failure);
      return u;
    });
    return updated !== undefined;
  }
}
