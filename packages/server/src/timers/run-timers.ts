import type { RunFailure } from '@agentd/protocol';
import { sql } from 'kysely';
import type { RunsTable, Store, WriteContext } from '../store/index.ts';
import type { LeaseService } from '../leases/index.ts';
import { canTransition, expireRun, holdsLease } from '../runs/index.ts';

/**
 * The run timers' queries and writes, a batch of rows at a time. Candidates are read outside
 * the write, then re-read inside it: a worker may have completed or heartbeated meanwhile. On
 * PostgreSQL the re-read locks the rows and skips those another transaction holds (a heartbeat
 * in flight): they are looked at again on the next pass rather than waited for.
 */
export class RunTimers {
  readonly #store: Store;
  readonly #leases: LeaseService;

  constructor(store: Store, leases: LeaseService) {
    this.#store = store;
    this.#leases = leases;
  }

  // Statuses are SQL literals, not parameters: only then can the planner use the partial indexes.

  /** Running or waiting runs whose lease lapsed (a waiting run's worker heartbeats too). */
  expiredLeases(now: number, limit: number): Promise<RunsTable[]> {
    // The timers scan every tenant's runs (each row carries its tenant on to the writes).
    return this.#store.allTenants(this.#store.db).selectFrom('runs').selectAll().where(sql<boolean>`status IN ('running', 'waiting')`).where('lease_expires_at', '<', now).limit(limit).execute();
  }

  /** Running attempts past their timeout (the timeout pauses while a run waits). */
  attemptTimeouts(now: number, limit: number): Promise<RunsTable[]> {
    // A timer scan over every tenant.
    return this.#store.allTenants(this.#store.db).selectFrom('runs').selectAll().where(sql<boolean>`status = 'running'`).where('attempt_deadline_at', '<', now).limit(limit).execute();
  }

  /** Live runs past their deadline. */
  overdue(now: number, limit: number): Promise<RunsTable[]> {
    // A timer scan over every tenant.
    return this.#store.allTenants(this.#store.db)
      .selectFrom('runs')
      .selectAll()
      .where('deadline_at', 'is not', null)
      .where('deadline_at', '<', now)
      .where(sql<boolean>`status IN ('queued', 'running', 'waiting')`)
      .limit(limit)
      .execute();
  }

  async #current(ctx: WriteContext, ids: string[]): Promise<Map<string, RunsTable>> {
    // A batch of the timers' candidates, from any tenant (ids are unique across tenants).
    let q = this.#store.allTenants(ctx.trx).selectFrom('runs').selectAll().where('id', 'in', ids);
    if (this.#store.capabilities.skipLocked) q = q.forUpdate().skipLocked();
    return new Map((await q.execute()).map((r) => [r.id, r]));
  }

  /** Ends attempts whose lease expired (retried at once) or that ran past their timeout. */
  async failAttempts(ctx: WriteContext, runs: RunsTable[], outcome: 'lease_expired' | 'timed_out'): Promise<number> {
    const current = await this.#current(ctx, runs.map((r) => r.id));
    let changed = 0;
    for (const seen of runs) {
      const run = current.get(seen.id);
      if (!run || run.lease_id !== seen.lease_id || !holdsLease(run.status)) continue;
      if (outcome === 'timed_out' && run.status !== 'running') continue; // the attempt timeout pauses while waiting
      const stillDue = outcome === 'lease_expired' ? (run.lease_expires_at ?? Infinity) < ctx.now : (run.attempt_deadline_at ?? Infinity) < ctx.now;
      if (!stillDue) continue;
      const failure: RunFailure =
        outcome === 'lease_expired'
          ? { type: 'lease_expired', message: 'the worker stopped heartbeating before its lease expired', non_retryable: false, details: null }
          : { type: 'timeout', message: `the attempt ran longer than its timeout of ${run.timeout_ms} ms`, non_retryable: false, details: null };
      if (await this.#leases.failAttempt(ctx, run, failure, outcome, { immediateRetry: outcome === 'lease_expired' })) changed++;
    }
    return changed;
  }

  /** Runs past their deadline end `timed_out` (the state machine's `expire`). */
  async endOverdue(ctx: WriteContext, runs: RunsTable[]): Promise<number> {
    const current = await this.#current(ctx, runs.map((r) => r.id));
    let changed = 0;
    for (const seen of runs) {
      const run = current.get(seen.id);
      if (!run || !canTransition('expire', run.status) || run.deadline_at === null || run.deadline_at >= ctx.now) continue;
      if (await expireRun(ctx, run)) changed++;
    }
    return changed;
  }
}
