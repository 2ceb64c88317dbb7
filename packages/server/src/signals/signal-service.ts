import { EventType, isTerminal, type RunStatus, type Signal } from '@agentd/protocol';
import type { RunsTable, SignalsTable, Store, WriteContext } from '../store/index.ts';
import { DomainError } from '../core/index.ts';
import { appendRunEvents, LEASED_STATUSES, resumeFromSignal, waitForSignal } from '../runs/index.ts';
import { runByLease, staleLease } from '../leases/index.ts';
import { consumeSignal } from './signal-consumption.ts';
import { toSignal } from './signal-codec.ts';

/** Called inside the write that stores a signal, after its event: a waiter that lives in the server (a workflow's `wait: {signal}` step) consumes it there. */
export type SignalListener = (ctx: WriteContext, run: RunsTable, signal: SignalsTable) => Promise<void>;

/** Recheck this often while a worker waits, for a wake-up missed across nodes. */
const RECHECK_MS = 1000;

/**
 * Signals: named messages to a run, kept until a wait consumes one (signal-consumption.ts), so a
 * signal that arrives before its wait begins is not lost. The worker's wait is a lease-fenced
 * long-poll; while it waits, the run is `waiting` (reason `signal`) and the worker heartbeats.
 */
export class SignalService {
  readonly #store: Store;
  readonly #listeners: SignalListener[] = [];

  constructor(store: Store) {
    this.#store = store;
  }

  /** Registers a listener called in the transaction of every signal sent (see SignalListener). */
  onSignal(listener: SignalListener): void {
    this.#listeners.push(listener);
  }

  /**
   * Stores a signal to a run that has not ended, records `run.signal` (its id, name and payload
   * size: not the payload, which may be large or sensitive and would go to every reader of the
   * run's and the tenant's event streams) and wakes the run's waiters. `after` runs in the same
   * transaction (the idempotency record).
   */
  async send(tenantId: string, runId: string, name: string, payload: unknown, opts: { after?: (ctx: WriteContext, signal: Signal) => Promise<void> } = {}): Promise<Signal> {
    const text = JSON.stringify(payload ?? null);
    return this.#store.writer.write(async (ctx) => {
      // Locked to the commit: a terminal transition racing this signal waits, or is waited for.
      let q = ctx.trx.selectFrom('runs').selectAll().where('tenant_id', '=', tenantId).where('id', '=', runId);
      if (ctx.rowLocks) q = q.forUpdate();
      const run = await q.executeTakeFirst();
      if (!run) throw new DomainError('RUN_NOT_FOUND', `no run ${JSON.stringify(runId)}`);
      if (isTerminal(run.status as RunStatus)) throw new DomainError('RUN_ALREADY_TERMINAL', `run ${runId} already ended as ${run.status}; it takes no more signals`, { status: run.status });
      const row: SignalsTable = { id: ctx.ids.next('sig', ctx.now), tenant_id: tenantId, run_id: runId, name, payload: text, created_at: ctx.now, consumed_at: null, consumed_by: null };
      await ctx.trx.insertInto('signals').values(row).execute();
      const [seq] = await appendRunEvents(ctx, run, [{ type: EventType.runSignal, data: { signal_id: row.id, name, payload_bytes: Buffer.byteLength(text) } }]);
      for (const listener of this.#listeners) await listener(ctx, { ...run, last_seq: seq }, row);
      const consumed = await ctx.trx.selectFrom('signals').selectAll().where('tenant_id', '=', tenantId).where('id', '=', row.id).executeTakeFirstOrThrow();
      const signal = toSignal(consumed, this.#store.wire);
      if (opts.after) await opts.after(ctx, signal);
      return signal;
    });
  }

  /**
   * A worker's wait for a signal named `name`, fenced by its lease: answers the signal this wait
   * (`key`) consumed, at once when one is pending, or as soon as one arrives within `waitMs`;
   * `null` when none did. The first poll puts a running run `waiting` (reason `signal`); the
   * poll that consumes resumes it in the same write, and so does the `last` poll of a wait whose
   * timeout ends with it (the run goes on running without a signal). A signal arriving at that
   * moment is either consumed by it or kept for the next wait, never lost.
   */
  async waitForLease(req: { tenantId: string; leaseId: string; name: string; key: string; waitMs: number; last: boolean; signal?: AbortSignal }): Promise<Signal | null> {
    const { tenantId, leaseId, name, signal } = req;
    const consumer = `worker:${req.key}`;
    const until = Date.now() + req.waitMs;
    let runId: string | null = null;
    for (;;) {
      const final = until - Date.now() <= 0 || signal?.aborted === true;
      if (runId === null || final || (await this.#pending(tenantId, leaseId, runId, name, consumer))) {
        const got = await this.#store.writer.write((ctx) => this.#poll(ctx, { tenantId, leaseId, name, consumer, endWait: final && req.last }));
        if (got.signal || final) return got.signal ? toSignal(got.signal, this.#store.wire) : null;
        runId = got.runId;
      }
      await this.#woken(runId, Math.min(until - Date.now(), RECHECK_MS), signal);
    }
  }

  async #poll(ctx: WriteContext, w: { tenantId: string; leaseId: string; name: string; consumer: string; endWait: boolean }): Promise<{ runId: string; signal: SignalsTable | undefined }> {
    const run = await runByLease(ctx, w.tenantId, w.leaseId, LEASED_STATUSES);
    const waitingHere = run.status === 'waiting' && run.waiting_reason === 'signal';
    const got = await consumeSignal(ctx, run, { name: w.name, consumer: w.consumer });
    if (got || w.endWait) {
      if (waitingHere) await resumeFromSignal(ctx, run, w.name, got?.id ?? null);
    } else if (run.status === 'running') {
      await waitForSignal(ctx, run, w.leaseId, w.name);
    }
    return { runId: run.id, signal: got };
  }

  /** A read, so an idle waiter's rechecks stay off the writer: is there a signal for this wait? Throws when the lease is gone. */
  async #pending(tenantId: string, leaseId: string, runId: string, name: string, consumer: string): Promise<boolean> {
    const run = await this.#store.db.selectFrom('runs').select(['status', 'lease_id']).where('tenant_id', '=', tenantId).where('id', '=', runId).executeTakeFirst();
    if (!run || run.lease_id !== leaseId || !(LEASED_STATUSES as readonly string[]).includes(run.status)) throw await staleLease(this.#store.db, { tenantId, leaseId, runId });
    const found = await this.#store.db
      .selectFrom('signals')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('run_id', '=', runId)
      .where((eb) => eb.or([eb('consumed_by', '=', consumer), eb.and([eb('name', '=', name), eb('consumed_at', 'is', null)])]))
      .limit(1)
      .executeTakeFirst();
    return found !== undefined;
  }

  #woken(runId: string, ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      const off = this.#store.notifier.on(`run:${runId}`, done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** The signals of a run, oldest first (bounded: a run's signals are few; `limit` caps the answer). */
  async list(tenantId: string, runId: string, limit: number): Promise<Signal[]> {
    const rows = await this.#store.db.selectFrom('signals').selectAll().where('tenant_id', '=', tenantId).where('run_id', '=', runId).orderBy('created_at').orderBy('id').limit(limit).execute();
    return rows.map((r) => toSignal(r, this.#store.wire));
  }
}
