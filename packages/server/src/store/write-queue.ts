import type { Kysely, Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import { insertEvents } from './event-insert.ts';
import { OpSavepoints } from './op-savepoints.ts';
import type { DialectQueries } from './dialect-queries.ts';
import { RunHooks } from './run-hooks.ts';
import type { IdGenerator, WireFormat } from '../core/index.ts';
import { asUnavailable, isStoreUnavailable, isTransientConflict, StoreUnavailableError } from './unavailable.ts';
import type { CommitResult, CommittedEvent, PendingEvent, WriteContext, WriteOp, EventWriter, EventHook } from './write-context.ts';
export type { CommitResult, CommittedEvent, PendingEvent, WriteContext, WriteOp, EventWriter, EventHook } from './write-context.ts';

interface Pending {
  op: WriteOp<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  /** Rides along with the next commit instead of forcing one (see writeLazy). */
  lazy: boolean;
}

export interface WriteQueueOptions {
  db: Kysely<Database>;
  /** The store's dialect queries, handed to every operation. */
  queries: DialectQueries;
  /** The store's id generator and wire formatting, handed to every operation. */
  ids: IdGenerator;
  wire: WireFormat;
  /** The store's run hooks, handed to every operation. Default: none registered. */
  runHooks?: RunHooks;
  /** Several statements can go in one simple query (PostgreSQL; see OpSavepoints). */
  multiStatement: boolean;
  /** Statements may be sent without waiting for them (SQLite's writer thread; see OpSavepoints.settle). */
  pipelined?: boolean;
  /** StoreCapabilities.rowLocks, handed to every operation. Default false. */
  rowLocks?: boolean;
  now: () => number;
  /** Batches committing at once: 1 on SQLite (one writer), a few on PostgreSQL. */
  concurrency: number;
  /** Most operations per transaction. */
  maxBatch: number;
  /** Called after each commit with what it recorded (fan-out to streams and pollers). */
  onCommit: (result: CommitResult) => void;
  /**
   * Numbers and inserts a commit's events, last thing before the commit (see insertEvents);
   * `wakes` are the queues it made ready. A dialect may do more here (PostgreSQL: NOTIFY).
   */
  writeEvents?: EventWriter;
  /**
   * When the commit itself does not wait for the disk (SQLite, see wal-sync.ts): answers, events
   * and hand-offs of a commit are held until this says it is on disk. Absent: they go at once.
   */
  durability?: Durability;
}

/**
 * Tells when a commit is on disk (`done` calls come in commit order), and keeps readers to what
 * is: events are tracked from the moment they are inserted, inside the transaction, so a read
 * that runs between that and the disk (on SQLite's one connection, even before the commit) stops
 * before them.
 */
export interface Durability {
  track(events: CommittedEvent[]): void;
  /** The transaction rolled back: its events will never exist. */
  untrack(events: CommittedEvent[]): void;
  afterCommit(result: CommitResult, done: (err?: Error) => void): void;
  /** The highest event id of the tenant that is on disk (readers must not go past it). */
  horizon(tenantId: string): number;
}

/**
 * `again`: the op was a deadlock victim while earlier ops of its batch held row locks (which the
 * other transaction may be waiting for, so a retry in the same transaction deadlocks again): it
 * rolled back to its savepoint and runs once more alone after the batch commits.
 */
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown; again?: true };

interface Committed {
  outcomes: Outcome[];
  result: CommitResult;
  /** Fan-out and hand-offs; run once the commit is durable. */
  publish: () => void;
}

/**
 * Group commit: operations that arrive while a transaction is committing wait and then commit
 * together in the next one, so a burst of N writes costs one fsync instead of N — the only way
 * to be durable (synchronous=FULL, synchronous_commit=on) and fast at once.
 */
/** A deferred step (WriteContext.deferred) of the operation at `index` failed; see #commitBatch. */
class DeferredStepFailed extends Error {
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super('a deferred step of an operation failed', { cause });
    this.index = index;
  }
}

export class WriteQueue {
  readonly #opts: WriteQueueOptions;
  #pending: Pending[] = [];
  #active = 0;
  #scheduled = false;
  #idle: (() => void)[] = [];
  #lazyTimer: NodeJS.Timeout | null = null;
  #draining = false;
  /** Commits waiting to be on disk. */
  #syncing = 0;
  readonly #eventHooks = new Map<string, EventHook>();

  readonly #runHooks: RunHooks;

  constructor(opts: WriteQueueOptions) {
    this.#opts = opts;
    this.#runHooks = opts.runHooks ?? new RunHooks();
  }

  /**
   * Installs (or, with null, removes) the event hook called `name`; one per name, so an engine
   * built again on the same store replaces its hook instead of adding a second one.
   */
  setEventHook(name: string, hook: EventHook | null): void {
    if (hook) this.#eventHooks.set(name, hook);
    else this.#eventHooks.delete(name);
  }

  /** Runs `op` in a transaction shared with other operations; resolves once the commit is durable. */
  write<T>(op: WriteOp<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ op, resolve: resolve as (v: unknown) => void, reject, lazy: false });
      this.#schedule();
    });
  }

  /**
   * For writes nobody waits on (audit records): joins the next commit that happens anyway, or
   * commits by itself after `maxDelayMs`. A lazy write never makes a latency-sensitive write
   * queue behind an extra fsync of its own.
   */
  writeLazy<T>(op: WriteOp<T>, maxDelayMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ op, resolve: resolve as (v: unknown) => void, reject, lazy: true });
      if (this.#draining) this.#schedule();
      else if (!this.#lazyTimer) {
        this.#lazyTimer = setTimeout(() => {
          this.#lazyTimer = null;
          this.#schedule(true);
        }, maxDelayMs);
      }
    });
  }

  /** Resolves when nothing is pending or committing (lazy writes are committed now). */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#lazyTimer) {
      clearTimeout(this.#lazyTimer);
      this.#lazyTimer = null;
    }
    this.#schedule(true);
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(includeLazy = false): void {
    if (!includeLazy && !this.#draining && !this.#pending.some((p) => !p.lazy)) return;
    if (this.#scheduled || this.#active >= this.#opts.concurrency || this.#pending.length === 0) return;
    // While a commit waits for the disk, what arrives waits too, and then commits as one batch:
    // one transaction per fsync, as many operations each as came meanwhile.
    if (this.#syncing > 0) return;
    this.#scheduled = true;
    // One macrotask of delay lets requests parsed in the same I/O turn share the commit.
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#active < this.#opts.concurrency && this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#opts.maxBatch);
      this.#active++;
      void this.#commitBatch(batch).finally(() => {
        this.#active--;
        // Lazy writes left over are due once their timer has fired (no timer armed).
        if (this.#pending.length > 0) this.#schedule(this.#lazyTimer === null);
        this.#checkIdle();
      });
    }
  }

  #isIdle(): boolean {
    return this.#active === 0 && this.#pending.length === 0 && this.#syncing === 0;
  }

  #checkIdle(): void {
    if (this.#isIdle()) for (const fn of this.#idle.splice(0)) fn();
  }

  /**
   * Publishes a commit and hands its outcomes to `settle` once it is durable. The writer's slot is
   * free at once, but no new batch starts until then (see #schedule): what arrives meanwhile
   * commits together afterwards. A failed sync still publishes (the rows are committed and
   * readable) but answers with the error: the caller cannot know it is on disk.
   */
  #whenDurable(committed: Committed, settle: (outcomes: Outcome[] | Error) => void): void {
    const durability = this.#opts.durability;
    if (!durability) {
      committed.publish();
      settle(committed.outcomes);
      return;
    }
    this.#syncing++;
    durability.afterCommit(committed.result, (err) => {
      this.#syncing--;
      if (this.#syncing === 0 && this.#pending.length > 0) this.#schedule(this.#lazyTimer === null);
      committed.publish();
      // Committed but perhaps not on disk: not acknowledged. The client retries (with its
      // Idempotency-Key, the retry finds the run if it did survive).
      settle(err ? new StoreUnavailableError(`the commit may not be on disk: ${err.message}`, err) : committed.outcomes);
      this.#checkIdle();
    });
  }

  async #commitBatch(batch: Pending[]): Promise<void> {
    const settleAll = (outcomes: Outcome[] | Error) =>
      batch.forEach((p, i) => {
        if (outcomes instanceof Error) p.reject(outcomes);
        else if (outcomes[i].ok) p.resolve(outcomes[i].value);
        else p.reject(outcomes[i].error);
      });
    let committed: Committed;
    try {
      committed = await this.#runInTransaction(batch);
    } catch (err) {
      if (err instanceof DeferredStepFailed) {
        // An operation's deferred step failed after every savepoint was released: its writes
        // cannot be undone alone, so the transaction rolled back whole. That operation fails;
        // the others run again in a new transaction (operations are re-runnable: a rolled-back
        // one has given back what it took from memory).
        batch[err.index].reject(err.cause);
        const rest = batch.filter((_, i) => i !== err.index);
        if (rest.length > 0) await this.#commitBatch(rest);
        return;
      }
      // The transaction itself failed (BEGIN, COMMIT, the events, a lost connection): nothing
      // of it exists, so every operation in it fails; none was acknowledged.
      const error = asUnavailable(err, 'the database could not commit');
      settleAll(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const again = batch.filter((_, i) => { const o = committed.outcomes[i]; return !o.ok && o.again === true; });
    if (again.length === 0) {
      this.#whenDurable(committed, settleAll);
      return;
    }
    const rest = batch.filter((p) => !again.includes(p));
    this.#whenDurable(committed, (outcomes) =>
      rest.forEach((p) => {
        const o = outcomes instanceof Error ? outcomes : outcomes[batch.indexOf(p)];
        if (o instanceof Error) p.reject(o);
        else if (o.ok) p.resolve(o.value);
        else p.reject(o.error);
      }),
    );
    // Each alone: no lock of another op is held, so its own one retry (see #runOp) gets through.
    for (const p of again) await this.#commitBatch([p]);
  }

  /**
   * One operation in a savepoint of its own. If it throws, exactly its writes are undone (and,
   * on PostgreSQL, the locks it took): its events and callbacks were only in memory. If the
   * transaction cannot even do that (the connection is gone), the whole batch fails. An
   * operation chosen as a deadlock victim is run once more: in place when it is alone (the other
   * side has what it needed), else alone after the batch commits (earlier ops' locks stay held
   * until then, and the other side may be waiting for one of them).
   */
  async #runOp(trx: Transaction<Database>, savepoints: OpSavepoints, p: Pending, now: number, onRollback: (() => void)[], alone: boolean): Promise<{ outcome: Outcome; ctx: WriteContext }> {
    for (let attempt = 1; ; attempt++) {
      const ctx: WriteContext = { trx, now, rowLocks: this.#opts.rowLocks ?? false, queries: this.#opts.queries, ids: this.#opts.ids, wire: this.#opts.wire, runHooks: this.#runHooks, events: [], wakes: new Set(), deferred: [], afterCommit: [], onRollback: [] };
      // Registered before the op runs: a rollback of the batch must undo even an op that threw midway.
      onRollback.push(() => ctx.onRollback.splice(0).forEach((fn) => fn()));
      await savepoints.take();
      let value: unknown;
      try {
        value = await p.op(ctx);
        await savepoints.settle();
      } catch (err) {
        await savepoints.rollback().catch((rollbackError: unknown) => {
          throw isStoreUnavailable(err) ? err : rollbackError;
        });
        for (const fn of ctx.onRollback.splice(0)) fn();
        if (isTransientConflict(err)) {
          if (!alone) return { outcome: { ok: false, error: err, again: true }, ctx };
          if (attempt === 1) continue;
        }
        return { outcome: { ok: false, error: err }, ctx };
      }
      return { outcome: { ok: true, value }, ctx };
    }
  }

  async #runInTransaction(batch: Pending[]): Promise<Committed> {
    const result: CommitResult = { events: [], wakes: new Set() };
    const afterCommit: (() => void)[] = [];
    const onRollback: (() => void)[] = [];
    const outcomes = await this.#opts.db.transaction().execute(async (trx) => {
      const now = this.#opts.now();
      const pending: PendingEvent[] = [];
      const deferred: { index: number; step: (trx: Transaction<Database>) => Promise<void> }[] = [];
      const out: Outcome[] = [];
      const savepoints = new OpSavepoints(trx, { multiStatement: this.#opts.multiStatement, pipelined: this.#opts.pipelined });
      for (const [index, p] of batch.entries()) {
        const run = await this.#runOp(trx, savepoints, p, now, onRollback, batch.length === 1);
        out.push(run.outcome);
        if (!run.outcome.ok) continue;
        const { ctx } = run;
        afterCommit.push(...ctx.afterCommit);
        pending.push(...ctx.events);
        for (const step of ctx.deferred) deferred.push({ index, step });
        for (const w of ctx.wakes) result.wakes.add(w);
      }
      for (const d of deferred) {
        try {
          await d.step(trx);
          await savepoints.settle();
        } catch (err) {
          if (isStoreUnavailable(err)) throw err;
          throw new DeferredStepFailed(d.index, err);
        }
      }
      const hookVersions = new Map<string, number>();
      result.events = this.#opts.writeEvents ? await this.#opts.writeEvents(trx, pending, result.wakes, hookVersions) : await insertEvents(trx, pending, this.#opts.queries, hookVersions);
      if (result.events.length > 0) for (const hook of this.#eventHooks.values()) await hook(trx, result.events, hookVersions);
      this.#opts.durability?.track(result.events);
      return out;
    }).catch((err: unknown) => {
      this.#opts.durability?.untrack(result.events);
      for (const fn of onRollback) fn();
      throw err;
    });
    const publish = () => {
      this.#opts.onCommit(result);
      for (const fn of afterCommit) fn();
    };
    return { outcomes, result, publish };
  }
}
