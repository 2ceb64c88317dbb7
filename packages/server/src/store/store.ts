import type { fsync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, sql, type KyselyPlugin, type Transaction } from 'kysely';
import type { Database } from './db-types.ts';
import { migrate, type Migration } from './migrate.ts';
import { openSqlite, openSqliteWriter } from './sqlite/sqlite-dialect.ts';
import { WalSync } from './sqlite/wal-sync.ts';
import { Checkpointer } from './sqlite/checkpointer.ts';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.ts';
import { createPgPool, postgresDialect } from './postgres/postgres-dialect.ts';
import { POSTGRES_MIGRATIONS } from './postgres/migrations.ts';
import { PgListener } from './postgres/pg-listener.ts';
import { PgLeader } from './postgres/pg-leader.ts';
import { NO_FENCE, type LeaderFence } from './leader-fence.ts';
import { IdGenerator, LoopHealth, WireFormat, silentLogger } from '../core/index.ts';
import { WriteQueue } from './write-queue.ts';
import { pgEventWriter } from './postgres/pg-events.ts';
import { Notifier } from './notifier.ts';
import { RunHooks } from './run-hooks.ts';
import { TenantScopeGuard } from './tenant-scope-guard.ts';
import type { DialectQueries } from './dialect-queries.ts';
import { sqliteQueries } from './sqlite/sqlite-queries.ts';
import { postgresQueries } from './postgres/postgres-queries.ts';

export interface StoreOptions {
  /** PostgreSQL connection string; when absent, SQLite in `dataDir`. */
  databaseUrl?: string;
  /** Data directory for the SQLite file (default `./.agentd`). */
  dataDir: string;
  /** SQLite durability; see sqlite-dialect.ts. Default FULL. */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /**
   * Where SQLite's write transactions run: `inline` (default) on the event loop's thread, or
   * `thread`, on a thread of their own (see sqlite/writer-thread.ts).
   */
  sqliteWriter?: 'inline' | 'thread';
  /** Tests only: stands in for `fs.fsync` of SQLite's WAL (see wal-sync.ts). */
  sqliteSyncFile?: typeof fsync;
  /** Tests only: how often the background thread checkpoints SQLite's WAL. Default 100 ms. */
  sqliteCheckpointIntervalMs?: number;
  /** Tests only: apply the migrations up to this id and no further (a database of an earlier version, for the upgrade tests). */
  migrateUpTo?: number;
  /** Tests only: plugins on the writer's connection (the fault injector of the property test). */
  writerPlugins?: KyselyPlugin[];
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
  /**
   * Fail every query on a tenant table that names no tenant (see tenant-scope-guard.ts). On in
   * the test suite; costs a walk of each query's tree, so off by default.
   */
  checkTenantScope?: boolean;
  /**
   * Where background loops (checkpointer, listener, and the engine's timers) report failures;
   * its logger is theirs. Default: a registry with a silent logger.
   */
  loops?: LoopHealth;
  /** PostgreSQL: how long the leader's per-tick lock check may take before it stops leading. Default 5 s. */
  leaderCheckTimeoutMs?: number;
  now: () => number;
}

/**
 * What a dialect can do, so engine code never asks which dialect it is on; the queries that
 * differ are `Store.queries`.
 */
export interface StoreCapabilities {
  /** `FOR UPDATE SKIP LOCKED` when choosing runs to lease. */
  skipLocked: boolean;
  /** Other nodes may write: wake-ups travel over LISTEN/NOTIFY. */
  listenNotify: boolean;
  /**
   * `SELECT … FOR UPDATE`: a row read to decide a state change is locked until the commit, so
   * no concurrent transaction changes it in between (PostgreSQL). SQLite has one writer: a
   * write transaction sees no concurrent change, and has no such clause.
   */
  rowLocks: boolean;
}

export interface Store {
  /**
   * For reads outside a write operation; it sees committed data only (on SQLite a connection of
   * its own). Every write goes through `writer`, and code inside a write operation uses `ctx.trx`.
   */
  db: Kysely<Database>;
  capabilities: StoreCapabilities;
  /** The queries whose SQL differs per dialect, chosen when the store opened (see dialect-queries.ts). */
  queries: DialectQueries;
  writer: WriteQueue;
  notifier: Notifier;
  /**
   * The highest event id of a tenant that readers may see: events past it are committed but not
   * yet on disk (SQLite's off-thread WAL sync; see wal-sync.ts). Infinity when nothing waits.
   */
  eventHorizon(tenantId: string): number;
  /**
   * Runs `fn` only on the one node holding the leader lock (always on SQLite), re-checked on
   * every call; `fn`'s writes call `fence.check(trx)` first (see leader-fence.ts).
   */
  asLeader<T>(fn: (fence: LeaderFence) => Promise<T>): Promise<T | undefined>;
  /**
   * Runs `fn` while no other node runs an exclusive section of the same name: the config file's
   * apply, so two nodes starting or reloading at once do not both create what it lists. On
   * PostgreSQL a session advisory lock on a connection of its own, held for the whole of `fn`
   * (whose writes go through the write queue as usual); on SQLite, one server owns the database
   * and its callers serialise themselves, so `fn` just runs.
   */
  exclusive<T>(name: ExclusiveSection, fn: () => Promise<T>): Promise<T>;
  /** The health of the background loops of this store and of the engine built on it. */
  loops: LoopHealth;
  /**
   * What the services of one server need on their hot paths, held here so that two servers in
   * one process share nothing: new ids (a pool of random bytes) and stored times as wire strings
   * (a memo of the last one).
   */
  ids: IdGenerator;
  wire: WireFormat;
  /** The in-transaction reactions registered on the run state machine (`ctx.runHooks`; see run-hooks.ts). */
  runHooks: RunHooks;
  /**
   * Marks a builder (`store.db` or a write operation's `trx`) whose queries span tenants on
   * purpose: the sweeper's scans, a key looked up by its hash. Say why where you call it.
   */
  allTenants<T extends Scopeable>(db: T): T;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Kysely and Transaction both: `withPlugin` returns the same kind. */
export interface Scopeable {
  withPlugin(plugin: KyselyPlugin): this;
}

/** The guard's plugin pair, or none: with the check off, `allTenants` returns its argument. */
function tenantScope(on: boolean | undefined): { plugins: KyselyPlugin[]; allTenants: <T extends Scopeable>(db: T) => T } {
  if (!on) return { plugins: [], allTenants: (db) => db };
  const guard = new TenantScopeGuard();
  return { plugins: [guard], allTenants: (db) => db.withPlugin(guard.exemption) };
}

export const DEFAULT_TENANT = 'default';

/** Advisory lock key (arbitrary, unique to agentd; the leader's are in pg-leader.ts). */
const MIGRATION_LOCK = 7_401_001;

/** The sections `Store.exclusive` knows, each with its advisory lock key. */
const EXCLUSIVE_LOCKS = { 'config-apply': 7_401_010 } as const;
export type ExclusiveSection = keyof typeof EXCLUSIVE_LOCKS;

export async function openStore(opts: StoreOptions): Promise<Store> {
  const notifier = new Notifier();
  const loops = opts.loops ?? new LoopHealth({ logger: silentLogger() });
  if (!opts.databaseUrl) return openSqliteStore(opts, notifier, loops);
  return openPostgresStore(opts, opts.databaseUrl, notifier, loops);
}

function withPlugins(db: Kysely<Database>, plugins: KyselyPlugin[] = []): Kysely<Database> {
  return plugins.reduce((d, p) => d.withPlugin(p), db);
}

async function seedDefaultTenant(db: Kysely<Database>, now: number): Promise<void> {
  await db
    .insertInto('tenants')
    .values({ id: DEFAULT_TENANT, name: 'Default', event_seq: 0, finding_seq: 0, created_at: now })
    .onConflict((oc) => oc.column('id').doNothing())
    .execute();
}

/** 16,000 pages (64 MB at 4 KB): far above what the background checkpointer lets the WAL reach. */
const SAFETY_NET_CHECKPOINT_PAGES = 16_000;
const SQLITE_DEFAULT_CHECKPOINT_PAGES = 1000;
const WAL_SIZE_LIMIT_BYTES = 16 * 1024 * 1024;

/** The migrations up to `id` (all without one). */
function upTo(migrations: Migration[], id: number | undefined): Migration[] {
  return id === undefined ? migrations : migrations.filter((m) => m.id <= id);
}

async function openSqliteStore(opts: StoreOptions, notifier: Notifier, loops: LoopHealth): Promise<Store> {
  const file = join(opts.dataDir, 'agentd.db');
  const durable = (opts.sqliteSynchronous ?? 'FULL') === 'FULL';
  // FULL durability is NORMAL plus a WAL fsync per group commit, issued off the event loop.
  // Checkpoints run on a thread of their own; the writer's inline one is only a safety net.
  // A WAL that grew during a backlog is cut back to this size when SQLite next starts it over.
  const writeConnection = openSqliteWriter(opts.sqliteWriter ?? 'inline', { file, autoCheckpointPages: SAFETY_NET_CHECKPOINT_PAGES, pragmas: [`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`] });
  const scope = tenantScope(opts.checkTenantScope);
  const writeDb = new Kysely<Database>({ dialect: writeConnection.dialect, plugins: scope.plugins });
  // Migrations change every tenant's rows at once.
  await migrate(scope.allTenants(writeDb), upTo(SQLITE_MIGRATIONS, opts.migrateUpTo), (fn) => fn());
  await seedDefaultTenant(writeDb, opts.now());
  // Reads get a connection of their own: on the writer's they would queue behind every open
  // write transaction (Kysely lends a single connection to one user at a time). Here they go
  // on meanwhile and see committed rows only (WAL: readers never wait for the writer).
  const reader = openSqlite({ file, synchronous: 'NORMAL', readOnly: true });
  const db = new Kysely<Database>({ dialect: reader.dialect, plugins: scope.plugins });
  const walSync = new WalSync(file, { fsync: durable, syncFile: opts.sqliteSyncFile });
  const checkpoints = loops.loop('sqlite-checkpointer');
  const checkpointer = new Checkpointer(file, {
    intervalMs: opts.sqliteCheckpointIntervalMs,
    monitor: checkpoints,
    onFailure: (err) => {
      // Without the thread, the writer checkpoints inline again at SQLite's usual threshold.
      writeConnection.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_CHECKPOINT_PAGES}`);
      checkpoints.failed(err, { what: 'the checkpoint thread stopped: checkpoints are back on the event loop', file });
    },
  });
  const queries = sqliteQueries();
  const ids = new IdGenerator();
  const wire = new WireFormat();
  const runHooks = new RunHooks();
  // node:sqlite prepares only the first statement of a text: one statement per call.
  const writeQueue = new WriteQueue({ db: withPlugins(writeDb, opts.writerPlugins), queries, ids, wire, runHooks, multiStatement: false, pipelined: writeConnection.pipelined, rowLocks: false, now: opts.now, concurrency: 1, maxBatch: 2000, onCommit: (r) => notifier.publishCommit(r), durability: walSync });
  return {
    db,
    capabilities: { skipLocked: false, listenNotify: false, rowLocks: false },
    queries,
    writer: writeQueue,
    notifier,
    eventHorizon: (tenantId) => walSync.horizon(tenantId),
    // One process owns the file: it always leads, and there is nobody to fence off.
    asLeader: (fn) => fn(NO_FENCE),
    exclusive: (_name, fn) => fn(),
    loops,
    ids,
    wire,
    runHooks,
    allTenants: scope.allTenants,
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await writeQueue.drain();
      await checkpointer.close();
      await db.destroy();
      await writeDb.destroy();
      // Kysely closes a connection only if it was ever used; one that never was would keep every
      // file descriptor of the database open (SQLite defers closing them while any connection of
      // the process has the file open) and the WAL in place.
      if (reader.raw.isOpen) reader.raw.close();
      await writeConnection.close();
      walSync.close();
    },
  };
}

async function openPostgresStore(opts: StoreOptions, url: string, notifier: Notifier, loops: LoopHealth): Promise<Store> {
  const pool = createPgPool(url, opts.poolSize ?? 10);
  const scope = tenantScope(opts.checkTenantScope);
  const db = new Kysely<Database>({ dialect: postgresDialect(pool), plugins: scope.plugins });
  const lockClient = await pool.connect();
  try {
    await migrate(scope.allTenants(db), upTo(POSTGRES_MIGRATIONS, opts.migrateUpTo), async (fn) => {
      await lockClient.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      try {
        return await fn();
      } finally {
        await lockClient.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
      }
    });
  } finally {
    lockClient.release();
  }
  await seedDefaultTenant(db, opts.now());
  const listener = new PgListener(url, notifier, loops.loop('pg-listener'));
  await listener.start();
  const queries = postgresQueries();
  const ids = new IdGenerator();
  const wire = new WireFormat();
  const runHooks = new RunHooks();
  const writer = new WriteQueue({
    db: withPlugins(db, opts.writerPlugins),
    queries,
    ids,
    wire,
    runHooks,
    multiStatement: true,
    rowLocks: true,
    now: opts.now,
    concurrency: 4,
    maxBatch: 1000,
    onCommit: (r) => notifier.publishCommit(r),
    writeEvents: pgEventWriter(listener),
  });
  const leader = new PgLeader({ pool, log: loops.log, checkTimeoutMs: opts.leaderCheckTimeoutMs });
  return {
    db,
    capabilities: { skipLocked: true, listenNotify: true, rowLocks: true },
    queries,
    writer,
    notifier,
    eventHorizon: () => Number.POSITIVE_INFINITY,
    allTenants: scope.allTenants,
    asLeader: (fn) => leader.run(fn),
    exclusive: async (name, fn) => {
      const client = await pool.connect();
      const key = EXCLUSIVE_LOCKS[name];
      try {
        await client.query('SELECT pg_advisory_lock($1)', [key]);
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
      try {
        return await fn();
      } finally {
        // A connection whose unlock failed is destroyed, which frees its lock too.
        await client.query('SELECT pg_advisory_unlock($1)', [key]).then(
          () => client.release(),
          (err: Error) => client.release(err),
        );
      }
    },
    loops,
    ids,
    wire,
    runHooks,
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await writer.drain();
      await listener.stop();
      leader.stop();
      await db.destroy();
    },
  };
}
