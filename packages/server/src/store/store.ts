import type { fsync } from 'node:fs';
import { join } from 'node:path';
import { Kysely, sql } from 'kysely';
import type { Database } from './db-types.ts';
import { migrate } from './migrate.ts';
import { openSqlite } from './sqlite/sqlite-dialect.ts';
import { WalSync } from './sqlite/wal-sync.ts';
import { Checkpointer } from './sqlite/checkpointer.ts';
import { SQLITE_MIGRATIONS } from './sqlite/migrations.ts';
import { createPgPool, postgresDialect } from './postgres/postgres-dialect.ts';
import { POSTGRES_MIGRATIONS } from './postgres/migrations.ts';
import { PgListener } from './postgres/pg-listener.ts';
import { WriteQueue } from './write-queue.ts';
import { pgEventWriter } from './postgres/pg-events.ts';
import { Notifier } from './notifier.ts';

export interface StoreOptions {
  /** PostgreSQL connection string; when absent, SQLite in `dataDir`. */
  databaseUrl?: string;
  /** Data directory for the SQLite file (default `./.agentd`). */
  dataDir: string;
  /** SQLite durability; see sqlite-dialect.ts. Default FULL. */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** Tests only: stands in for `fs.fsync` of SQLite's WAL (see wal-sync.ts). */
  sqliteSyncFile?: typeof fsync;
  /** Tests only: how often the background thread checkpoints SQLite's WAL. Default 100 ms. */
  sqliteCheckpointIntervalMs?: number;
  /** PostgreSQL pool size. Default 10. */
  poolSize?: number;
  now: () => number;
}

/** What a dialect can do, so engine code never asks which dialect it is on. */
export interface StoreCapabilities {
  dialect: 'sqlite' | 'postgres';
  /** `FOR UPDATE SKIP LOCKED` when choosing runs to lease. */
  skipLocked: boolean;
  /** Other nodes may write: wake-ups travel over LISTEN/NOTIFY. */
  listenNotify: boolean;
}

export interface Store {
  /**
   * For reads outside a write operation; it sees committed data only (on SQLite a connection of
   * its own). Every write goes through `writer`, and code inside a write operation uses `ctx.trx`.
   */
  db: Kysely<Database>;
  capabilities: StoreCapabilities;
  writer: WriteQueue;
  notifier: Notifier;
  /**
   * The highest event id of a tenant that readers may see: events past it are committed but not
   * yet on disk (SQLite's off-thread WAL sync; see wal-sync.ts). Infinity when nothing waits.
   */
  eventHorizon(tenantId: string): number;
  /** Runs `fn` only on the one node holding the leader lock (always on SQLite). */
  asLeader<T>(fn: () => Promise<T>): Promise<T | undefined>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_TENANT = 'default';

/** Advisory lock keys (arbitrary constants, unique to agentd). */
const MIGRATION_LOCK = 7_401_001;
const LEADER_LOCK = 7_401_002;

export async function openStore(opts: StoreOptions): Promise<Store> {
  const notifier = new Notifier();
  if (!opts.databaseUrl) return openSqliteStore(opts, notifier);
  return openPostgresStore(opts, opts.databaseUrl, notifier);
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

async function openSqliteStore(opts: StoreOptions, notifier: Notifier): Promise<Store> {
  const file = join(opts.dataDir, 'agentd.db');
  const durable = (opts.sqliteSynchronous ?? 'FULL') === 'FULL';
  // FULL durability is NORMAL plus a WAL fsync per group commit, issued off the event loop.
  // Checkpoints run on a thread of their own; the writer's inline one is only a safety net.
  const { dialect, raw: writerConnection } = openSqlite({ file, synchronous: 'NORMAL', autoCheckpointPages: SAFETY_NET_CHECKPOINT_PAGES });
  // A WAL that grew during a backlog is cut back to this size when SQLite next starts it over.
  writerConnection.exec(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  const writeDb = new Kysely<Database>({ dialect });
  await migrate(writeDb, SQLITE_MIGRATIONS, (fn) => fn());
  await seedDefaultTenant(writeDb, opts.now());
  // Reads get a connection of their own: on the writer's they would queue behind every open
  // write transaction (Kysely lends a single connection to one user at a time). Here they go
  // on meanwhile and see committed rows only (WAL: readers never wait for the writer).
  const reader = openSqlite({ file, synchronous: 'NORMAL', readOnly: true });
  const db = new Kysely<Database>({ dialect: reader.dialect });
  const walSync = new WalSync(file, { fsync: durable, syncFile: opts.sqliteSyncFile });
  const checkpointer = new Checkpointer(file, {
    intervalMs: opts.sqliteCheckpointIntervalMs,
    onFailure: (err) => {
      // Without the thread, the writer checkpoints inline again at SQLite's usual threshold.
      if (writerConnection.isOpen) writerConnection.exec(`PRAGMA wal_autocheckpoint = ${SQLITE_DEFAULT_CHECKPOINT_PAGES}`);
      process.emitWarning(`agentd: SQLite checkpoints are back on the event loop: ${err.message}`);
    },
  });
  const writer = new WriteQueue({ db: writeDb, dialect: 'sqlite', now: opts.now, concurrency: 1, maxBatch: 2000, onCommit: (r) => notifier.publishCommit(r), durability: walSync });
  return {
    db,
    capabilities: { dialect: 'sqlite', skipLocked: false, listenNotify: false },
    writer,
    notifier,
    eventHorizon: (tenantId) => walSync.horizon(tenantId),
    asLeader: (fn) => fn(),
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await writer.drain();
      await checkpointer.close();
      await db.destroy();
      await writeDb.destroy();
      // Kysely closes a connection only if it was ever used; one that never was would keep every
      // file descriptor of the database open (SQLite defers closing them while any connection of
      // the process has the file open) and the WAL in place.
      for (const raw of [reader.raw, writerConnection]) if (raw.isOpen) raw.close();
      walSync.close();
    },
  };
}

async function openPostgresStore(opts: StoreOptions, url: string, notifier: Notifier): Promise<Store> {
  const pool = createPgPool(url, opts.poolSize ?? 10);
  const db = new Kysely<Database>({ dialect: postgresDialect(pool) });
  const lockClient = await pool.connect();
  try {
    await migrate(db, POSTGRES_MIGRATIONS, async (fn) => {
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
  const listener = new PgListener(url, notifier);
  await listener.start();
  const writer = new WriteQueue({
    db,
    dialect: 'postgres',
    now: opts.now,
    concurrency: 4,
    maxBatch: 1000,
    onCommit: (r) => notifier.publishCommit(r),
    writeEvents: pgEventWriter(listener),
  });
  let leaderClient: import('pg').PoolClient | null = null;
  return {
    db,
    capabilities: { dialect: 'postgres', skipLocked: true, listenNotify: true },
    writer,
    notifier,
    eventHorizon: () => Number.POSITIVE_INFINITY,
    asLeader: async (fn) => {
      // A session-level advisory lock held on a dedicated connection: the node holding it runs
      // the timers; if it dies, its connection closes and another node takes over.
      if (!leaderClient) {
        const client = await pool.connect();
        const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LEADER_LOCK]);
        if (!got.rows[0].ok) {
          client.release();
          return undefined;
        }
        client.on('error', () => {
          leaderClient = null;
        });
        leaderClient = client;
      }
      return fn();
    },
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    close: async () => {
      await writer.drain();
      await listener.stop();
      if (leaderClient) {
        const c = leaderClient;
        leaderClient = null;
        await c.query('SELECT pg_advisory_unlock($1)', [LEADER_LOCK]).catch(() => {});
        c.release();
      }
      await db.destroy();
    },
  };
}
