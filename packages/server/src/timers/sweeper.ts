import type { Clock, LoopMonitor } from '../core/index.ts';
import { LeadershipLost, NO_FENCE, type LeaderFence, type Store } from '../store/index.ts';
import type { LeaseService } from '../leases/index.ts';
import type { ApprovalService } from '../approvals/index.ts';
import type { WorkflowDriver } from '../workflows/index.ts';
import type { SessionService } from '../sessions/index.ts';
import { writeInBatches } from './batches.ts';
import { RunTimers } from './run-timers.ts';

export interface SweepResult {
  expiredLeases: number;
  attemptTimeouts: number;
  deadlines: number;
  idempotencyKeysDeleted: number;
  /** Trigger receipts and delivery log rows past their retention. */
  triggerRowsDeleted: number;
  approvalsExpired: number;
  /** Workflow wait steps that came due (timers, signal-wait timeouts). */
  workflowWakeups: number;
  /** Sessions that ended themselves, idle past their TTL. */
  sessionsEnded: number;
  /** Rows that could not be handled, and steps that failed as a whole (all logged). */
  failed: number;
}

export interface SweeperOptions {
  store: Store;
  leases: LeaseService;
  approvals: ApprovalService;
  /** Wakes workflow wait steps; none when absent. */
  workflows?: WorkflowDriver;
  /** Ends idle sessions; none when absent. */
  sessions?: SessionService;
  clock: Clock;
  /** Rows written per transaction: long enough to be cheap, short enough to hold few row locks. Default 100. */
  batchSize?: number;
  /** Most rows of each kind (expired leases, timeouts, deadlines, approvals) per pass. Default 500. */
  passLimit?: number;
  /**
   * Expired idempotency records deleted per DELETE (and transaction), and at most per pass. They
   * have no events and nobody waits on them, so bigger batches are cheap; the pass limit must
   * exceed the rate records expire at (24 h after the writes that made them). Default 1,000 and 20,000.
   */
  purgeBatchSize?: number;
  purgePassLimit?: number;
  /**
   * How long a trigger's receipts (a message id seen before answers with its run) and delivery
   * log rows are kept, ms. Senders retry a delivery for a day or three; default 7 days.
   */
  triggerRetentionMs?: number;
}

export const DEFAULT_TRIGGER_RETENTION_MS = 7 * 86_400_000;

export const DEFAULT_SWEEP_BATCH = 100;
export const DEFAULT_SWEEP_PASS_LIMIT = 500;
export const DEFAULT_PURGE_BATCH = 1_000;
export const DEFAULT_PURGE_PASS_LIMIT = 20_000;

/** The names the sweeper's steps report under (see LoopHealth); readiness names a failing one. */
export const SWEEPER_LOOPS = { leader: 'timer-leader', runs: 'run-timers', approvals: 'approval-expiry', workflows: 'workflow-wakeups', sessions: 'session-idle', idempotency: 'idempotency-purge', triggers: 'trigger-purge' } as const;

/**
 * The server's timers: expired leases go back to the queue, attempts past their timeout fail
 * (and are retried or end `timed_out`), runs past their deadline end `timed_out`, approvals past
 * their time settle by their policy, and expired idempotency records are dropped. A pass writes
 * in batches (one transaction per `batchSize` rows) and handles at most `passLimit` rows of each
 * kind: a backlog drains over successive ticks. On PostgreSQL only the leader node sweeps, and
 * every batch is fenced by its lock. Each step reports to its loop monitor, so failures are
 * logged with their context and a step that keeps failing makes readiness fail.
 */
export class Sweeper {
  readonly #store: Store;
  readonly #approvals: ApprovalService;
  readonly #workflows: WorkflowDriver | null;
  readonly #sessions: SessionService | null;
  readonly #clock: Clock;
  readonly #timers: RunTimers;
  readonly #batchSize: number;
  readonly #passLimit: number;
  readonly #purgeBatchSize: number;
  readonly #purgePassLimit: number;
  readonly #triggerRetentionMs: number;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;

  constructor(opts: SweeperOptions) {
    this.#store = opts.store;
    this.#approvals = opts.approvals;
    this.#workflows = opts.workflows ?? null;
    this.#sessions = opts.sessions ?? null;
    this.#clock = opts.clock;
    this.#timers = new RunTimers(opts.store, opts.leases);
    this.#batchSize = opts.batchSize ?? DEFAULT_SWEEP_BATCH;
    this.#passLimit = opts.passLimit ?? DEFAULT_SWEEP_PASS_LIMIT;
    this.#purgeBatchSize = opts.purgeBatchSize ?? DEFAULT_PURGE_BATCH;
    this.#purgePassLimit = opts.purgePassLimit ?? DEFAULT_PURGE_PASS_LIMIT;
    this.#triggerRetentionMs = opts.triggerRetentionMs ?? DEFAULT_TRIGGER_RETENTION_MS;
    if (!(Math.min(this.#batchSize, this.#passLimit, this.#purgeBatchSize, this.#purgePassLimit) >= 1)) throw new Error('sweep batch sizes and pass limits must be at least 1');
  }

  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      if (this.#running) return; // a pass longer than the interval is not overtaken by the next
      this.#running = this.#tick().finally(() => (this.#running = null));
    }, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#running;
  }

  /** One tick: never throws (a failure is the monitors' to report; the next tick tries again). */
  async #tick(): Promise<void> {
    const leader = this.#store.loops.loop(SWEEPER_LOOPS.leader);
    try {
      await this.#store.asLeader((fence) => this.sweepOnce(fence));
      leader.succeeded();
    } catch (err) {
      if (err instanceof LeadershipLost) this.#store.loops.log.warn({ loop: SWEEPER_LOOPS.leader, reason: err.message }, 'agentd: a timer pass stopped: this node lost the leader lock');
      else leader.failed(err, { what: 'taking or checking the timer leader lock' });
    }
  }

  /**
   * One pass. `fence` is the leader's (see Store.asLeader); without one (tests, a single process)
   * nothing is fenced. Throws only `LeadershipLost`.
   */
  async sweepOnce(fence: LeaderFence = NO_FENCE): Promise<SweepResult> {
    const now = this.#clock.now();
    const result: SweepResult = { expiredLeases: 0, attemptTimeouts: 0, deadlines: 0, idempotencyKeysDeleted: 0, triggerRowsDeleted: 0, approvalsExpired: 0, workflowWakeups: 0, sessionsEnded: 0, failed: 0 };
    await this.#step(SWEEPER_LOOPS.runs, result, async (monitor) => {
      const overdue = await this.#timers.overdue(now, this.#passLimit);
      const timeouts = await this.#timers.attemptTimeouts(now, this.#passLimit);
      const expired = await this.#timers.expiredLeases(now, this.#passLimit);
      // A run in more than one list is handled once: its deadline first, then its timeout.
      const done = new Set(overdue.map((r) => r.id));
      const timedOut = timeouts.filter((r) => !done.has(r.id));
      for (const r of timedOut) done.add(r.id);
      const lapsed = expired.filter((r) => !done.has(r.id));
      const describe = (r: { id: string; tenant_id: string; lease_id: string | null }) => ({ run_id: r.id, tenant_id: r.tenant_id, lease_id: r.lease_id });
      const batches = { store: this.#store, fence, monitor, batchSize: this.#batchSize, describe };
      const d = await writeInBatches({ ...batches, rows: overdue, op: (ctx, rows) => this.#timers.endOverdue(ctx, rows), describe: (r) => ({ ...describe(r), what: 'deadline' }) });
      const t = await writeInBatches({ ...batches, rows: timedOut, op: (ctx, rows) => this.#timers.failAttempts(ctx, rows, 'timed_out'), describe: (r) => ({ ...describe(r), what: 'attempt timeout' }) });
      const l = await writeInBatches({ ...batches, rows: lapsed, op: (ctx, rows) => this.#timers.failAttempts(ctx, rows, 'lease_expired'), describe: (r) => ({ ...describe(r), what: 'expired lease' }) });
      result.deadlines = d.changed;
      result.attemptTimeouts = t.changed;
      result.expiredLeases = l.changed;
      return d.failed + t.failed + l.failed;
    });
    await this.#step(SWEEPER_LOOPS.approvals, result, async (monitor) => {
      const due = await this.#approvals.dueForExpiry(now, this.#passLimit);
      const describe = (a: (typeof due)[number]) => ({ approval_id: a.id, tenant_id: a.tenant_id, run_id: a.run_id, what: 'approval expiry' });
      const r = await writeInBatches({ store: this.#store, fence, monitor, batchSize: this.#batchSize, rows: due, describe, op: (ctx, rows) => this.#approvals.expireIn(ctx, rows) });
      result.approvalsExpired = r.changed;
      return r.failed;
    });
    const workflows = this.#workflows;
    if (workflows) {
      await this.#step(SWEEPER_LOOPS.workflows, result, async (monitor) => {
        const due = await workflows.dueWakeups(now, this.#passLimit);
        const describe = (w: (typeof due)[number]) => ({ tenant_id: w.tenant_id, run_id: w.run_id, step: w.step_id, what: 'workflow wait step' });
        const r = await writeInBatches({ store: this.#store, fence, monitor, batchSize: this.#batchSize, rows: due, describe, op: (ctx, rows) => workflows.wakeIn(ctx, rows) });
        result.workflowWakeups = r.changed;
        return r.failed;
      });
    }
    const sessions = this.#sessions;
    if (sessions) {
      await this.#step(SWEEPER_LOOPS.sessions, result, async (monitor) => {
        const due = await sessions.dueIdle(now, this.#passLimit);
        const describe = (s: (typeof due)[number]) => ({ tenant_id: s.tenant_id, session_id: s.id, what: 'idle session' });
        const r = await writeInBatches({ store: this.#store, fence, monitor, batchSize: this.#batchSize, rows: due, describe, op: (ctx, rows) => sessions.endIdleIn(ctx, rows) });
        result.sessionsEnded = r.changed;
        return r.failed;
      });
    }
    await this.#step(SWEEPER_LOOPS.idempotency, result, async () => {
      result.idempotencyKeysDeleted = await this.#purgeIdempotencyKeys(fence, now);
      return 0;
    });
    await this.#step(SWEEPER_LOOPS.triggers, result, async () => {
      result.triggerRowsDeleted = await this.#purgeTriggerRows(fence, now - this.#triggerRetentionMs);
      return 0;
    });
    return result;
  }

  /**
   * Runs one step of the pass: its failures (a whole step, or rows of it) are logged and counted
   * on its monitor, and the next step runs all the same. `LeadershipLost` ends the pass.
   */
  async #step(name: string, result: SweepResult, fn: (monitor: LoopMonitor) => Promise<number>): Promise<void> {
    const monitor = this.#store.loops.loop(name);
    try {
      const failedRows = await fn(monitor);
      result.failed += failedRows;
      if (failedRows > 0) monitor.failed(new Error(`${failedRows} row(s) of the pass could not be handled (logged above)`), { what: 'sweep pass', failed_rows: failedRows });
      else monitor.succeeded();
    } catch (err) {
      if (err instanceof LeadershipLost) throw err;
      result.failed++;
      monitor.failed(err, { what: 'sweep pass' });
    }
  }

  /** Expired idempotency records, `purgeBatchSize` per DELETE and transaction, at most `purgePassLimit` per pass. */
  async #purgeIdempotencyKeys(fence: LeaderFence, now: number): Promise<number> {
    let deleted = 0;
    while (deleted < this.#purgePassLimit) {
      const size = Math.min(this.#purgeBatchSize, this.#purgePassLimit - deleted);
      const n = await this.#store.writer.write(async (ctx) => {
        await fence.check(ctx.trx);
        // The purge drops every tenant's expired records.
        const r = await this.#store.allTenants(ctx.trx)
          .deleteFrom('idempotency_keys')
          .where(({ eb, refTuple, selectFrom }) =>
            eb(refTuple('tenant_id', 'route', 'key'), 'in', selectFrom('idempotency_keys').select(['tenant_id', 'route', 'key']).where('expires_at', '<', now).orderBy('expires_at').limit(size).$asTuple('tenant_id', 'route', 'key')),
          )
          .executeTakeFirst();
        return Number(r.numDeletedRows);
      });
      deleted += n;
      if (n < size) break;
    }
    return deleted;
  }

  /** Trigger receipts and delivery log rows received before `before`, in batches like the idempotency purge. */
  async #purgeTriggerRows(fence: LeaderFence, before: number): Promise<number> {
    let deleted = 0;
    for (const table of ['trigger_receipts', 'trigger_deliveries'] as const) {
      // A read first: a pass with nothing to drop (the usual case) writes nothing.
      const any = await this.#store.allTenants(this.#store.db).selectFrom(table).select('tenant_id').where('received_at', '<', before).limit(1).executeTakeFirst();
      while (any && deleted < this.#purgePassLimit) {
        const size = Math.min(this.#purgeBatchSize, this.#purgePassLimit - deleted);
        const n = await this.#store.writer.write(async (ctx) => {
          await fence.check(ctx.trx);
          // Every tenant's old rows: the retention is the server's.
          const db = this.#store.allTenants(ctx.trx);
          const r =
            table === 'trigger_receipts'
              ? await db
                  .deleteFrom('trigger_receipts')
                  .where(({ eb, refTuple, selectFrom }) =>
                    eb(refTuple('tenant_id', 'trigger_id', 'message_id'), 'in', selectFrom('trigger_receipts').select(['tenant_id', 'trigger_id', 'message_id']).where('received_at', '<', before).orderBy('received_at').limit(size).$asTuple('tenant_id', 'trigger_id', 'message_id')),
                  )
                  .executeTakeFirst()
              : await db
                  .deleteFrom('trigger_deliveries')
                  .where(({ eb, refTuple, selectFrom }) => eb(refTuple('tenant_id', 'id'), 'in', selectFrom('trigger_deliveries').select(['tenant_id', 'id']).where('received_at', '<', before).orderBy('received_at').limit(size).$asTuple('tenant_id', 'id')))
                  .executeTakeFirst();
          return Number(r.numDeletedRows);
        });
        deleted += n;
        if (n < size) break;
      }
    }
    return deleted;
  }
}
