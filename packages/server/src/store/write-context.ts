/**
 * What a write operation sees and produces (its context, its events, the commit's result), apart
 * from the queue that runs it (write-queue.ts), so stores, dialects and hooks can name them.
 */
import type { Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import type { DialectQueries } from './dialect-queries.ts';
import type { RunHooks } from './run-hooks.ts';
import type { IdGenerator, WireFormat } from '../core/index.ts';
/** An event an operation wants recorded; its tenant-wide `id` is assigned when the batch commits. */
export interface PendingEvent {
  tenant_id: string;
  run_id: string;
  agent: string;
  seq: number;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

export interface CommittedEvent extends PendingEvent {
  id: number;
}

/** What one operation sees: the shared transaction, the batch's clock reading, its own events. */
export interface WriteContext {
  trx: Transaction<Database>;
  now: number;
  /**
   * The dialect has `SELECT … FOR UPDATE` (see StoreCapabilities.rowLocks): a row read to decide
   * a state change should be read with it, so nothing changes it before this commit.
   */
  rowLocks: boolean;
  /** The store's dialect queries (`store.queries`), for code that is handed only the context. */
  queries: DialectQueries;
  /** The store's id generator (`store.ids`), for the rows an operation makes. */
  ids: IdGenerator;
  /** The store's wire formatting (`store.wire`), for the responses an operation makes. */
  wire: WireFormat;
  /** The store's run hooks (`store.runHooks`): the state machine calls them in this transaction. */
  runHooks: RunHooks;
  events: PendingEvent[];
  /** `tenant\u0000agent` pairs that gained runs ready to lease. */
  wakes: Set<string>;
  /**
   * Steps run after every operation of the batch, just before its events are inserted: for
   * writes that lock the tenant row (a tenant-wide counter such as `finding_seq`). Taken
   * mid-batch, that lock would be held while later operations wait for run rows that another
   * batch holds, and that batch waits for the tenant row to insert its events: a deadlock on
   * PostgreSQL. Taken last, like the event counter, it cannot be. A step that fails fails its
   * own operation only: the transaction is rolled back and the others run again without it.
   */
  deferred: ((trx: Transaction<Database>) => Promise<void>)[];
  /**
   * Callbacks for after the commit (hand leased tasks to a waiting poller) and for a rollback
   * (give back what the operation took from memory). Exactly one list runs.
   */
  afterCommit: (() => void)[];
  onRollback: (() => void)[];
}

/**
 * `hookVersions` is filled with each tenant's `event_hooks_version`, read by the statement that
 * takes the tenant row's lock to number the events (see EventHook).
 */
export type EventWriter = (trx: Transaction<Database>, events: PendingEvent[], wakes: Set<string>, hookVersions: Map<string, number>) => Promise<CommittedEvent[]>;

/**
 * Called in a commit's transaction right after its events are inserted (WriteQueue.setEventHook),
 * so what it writes (a webhook's deliveries) commits with the events or not at all. It must be
 * cheap for tenants it has nothing to do for: it runs on every commit that records an event.
 * `hookVersions` holds each tenant's `event_hooks_version` as of this commit, read under the
 * tenant row's lock: a change of the tenant's hooks bumps it in its own transaction (taking the
 * same lock), so a hook that caches per tenant and version is never stale, whichever node made
 * the change. A hook that throws fails the whole transaction.
 */
export type EventHook = (trx: Transaction<Database>, events: readonly CommittedEvent[], hookVersions: ReadonlyMap<string, number>) => Promise<void>;

export type WriteOp<T> = (ctx: WriteContext) => Promise<T>;

export interface CommitResult {
  events: CommittedEvent[];
  wakes: Set<string>;
}
