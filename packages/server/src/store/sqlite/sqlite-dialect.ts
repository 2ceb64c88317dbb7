import { mkdirSync } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { StatementProfile, sqliteStatementProfiling } from '../statement-profile.ts';
import { SqliteAdapter, SqliteDialect, type Dialect, type DialectAdapter, type Driver, type QueryCompiler, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { AgentdSqliteQueryCompiler } from './sqlite-compiler.ts';
import { WriterThread, WriterThreadDialect } from './writer-thread.ts';

export interface SqliteOptions {
  /** Path of the database file. */
  file: string;
  /**
   * `FULL` (default): an acknowledged write survives power loss. `NORMAL` in WAL mode survives a
   * process crash but may lose the last transactions on power loss; it is faster.
   */
  synchronous: 'FULL' | 'NORMAL';
  /**
   * WAL size in pages past which a commit checkpoints inline (SQLite's default is 1000). The
   * writer sets it high: a background thread checkpoints (see checkpointer.ts).
   */
  autoCheckpointPages?: number;
  /** A connection for reads only: no lock around statements, no transactions (see ReadOnlyDialect). */
  readOnly?: boolean;
}

/** How many prepared statements to keep (least recently used out first); Kysely compiles a small, fixed set of query shapes. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Gives Kysely's SQLite dialect Node's built-in `node:sqlite`: no native module to build.
 * Kysely asks each statement whether it returns rows (`reader`); `columns()` answers that.
 */
class NodeSqliteAdapter implements SqliteDatabase {
  readonly db: DatabaseSync;
  /** Prepared statements and their kind, by SQL text: `columns()` is costly, ask it once. */
  readonly #cache = new LRUCache<string, SqliteStatement>({ max: STATEMENT_CACHE_SIZE });
  readonly #profile: StatementProfile | null;

  constructor(db: DatabaseSync, label: string) {
    this.db = db;
    this.#profile = sqliteStatementProfiling ? new StatementProfile(`sqlite, ${label} connection`) : null;
  }

  close(): void {
    this.#cache.clear();
    if (this.db.isOpen) this.db.close();
  }

  prepare(sqlText: string): SqliteStatement {
    // After SQLITE_FULL or an I/O error at COMMIT, SQLite may already have rolled the
    // transaction back by itself; Kysely's ROLLBACK would then throw "no transaction is active"
    // in place of the error that tells what happened (and the connection is fine as it is).
    if (sqlText === 'rollback') return { reader: false, all: () => [], run: () => this.#rollback(), iterate: () => [][Symbol.iterator]() };
    const cached = this.#cache.get(sqlText);
    if (cached) return cached;
    const s: StatementSync = this.db.prepare(sqlText);
    const profile = this.#profile;
    const statement: SqliteStatement = {
      reader: s.columns().length > 0,
      all: profile ? (params) => profile.time(sqlText, () => s.all(...(params as never[]))) : (params) => s.all(...(params as never[])),
      run: profile ? (params) => profile.time(sqlText, () => s.run(...(params as never[]))) : (params) => s.run(...(params as never[])),
      iterate: (params) => s.iterate(...(params as never[])) as IterableIterator<unknown>,
    };
    this.#cache.set(sqlText, statement);
    return statement;
  }

  #rollback(): { changes: number; lastInsertRowid: number } {
    if (this.db.isTransaction) this.db.exec('ROLLBACK');
    return { changes: 0, lastInsertRowid: 0 };
  }
}

class UnlockedSqliteAdapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean {
    return true;
  }
}

/** Kysely's SQLite dialect with the compiler that prepares each statement once (sqlite-compiler.ts). */
class AgentdSqliteDialect extends SqliteDialect {
  override createQueryCompiler(): QueryCompiler {
    return new AgentdSqliteQueryCompiler();
  }
}

/**
 * The dialect of the read connection. Kysely puts a lock around a single-connection dialect whose
 * every release wakes every waiter, and all but one wait again: with thousands of reads queued
 * (10,000 event streams opening at once) that is O(waiters²) and the event loop stalls for
 * minutes. Here no lock is needed: node:sqlite runs each statement synchronously to its end, so
 * statements of concurrent callers never interleave. Transactions would, so they are refused
 * (reads inside a write operation use its transaction).
 */
class ReadOnlyDialect extends AgentdSqliteDialect {
  override createAdapter(): DialectAdapter {
    return new UnlockedSqliteAdapter();
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async () => {
      throw new Error('the SQLite read connection takes no transactions; write through the write queue');
    };
    return driver;
  }
}

export function openSqlite(options: SqliteOptions): { dialect: SqliteDialect; raw: DatabaseSync } {
  mkdirSync(dirname(options.file), { recursive: true });
  const raw = new DatabaseSync(options.file, { timeout: 5000 });
  raw.exec('PRAGMA journal_mode = WAL');
  raw.exec(`PRAGMA synchronous = ${options.synchronous}`);
  raw.exec('PRAGMA foreign_keys = ON');
  if (options.autoCheckpointPages !== undefined) raw.exec(`PRAGMA wal_autocheckpoint = ${Math.trunc(options.autoCheckpointPages)}`);
  const adapter = new NodeSqliteAdapter(raw, options.readOnly ? 'read' : 'write');
  return { dialect: options.readOnly ? new ReadOnlyDialect({ database: adapter }) : new AgentdSqliteDialect({ database: adapter }), raw };
}

/** The write connection, wherever its statements run (see StoreOptions.sqliteWriter). */
export interface SqliteWriter {
  dialect: Dialect;
  /** Statements may be sent without waiting for them (the write queue settles each operation). */
  pipelined: boolean;
  /** Runs a statement that answers nothing on the connection (a PRAGMA); a failure goes to stderr. */
  exec(sqlText: string): void;
  close(): Promise<void>;
}

/**
 * The connection that writes, in WAL mode at `synchronous = NORMAL` (the write queue's WalSync
 * makes commits durable), then `pragmas`: on the event loop's thread (`inline`) or on a thread of
 * its own (`thread`, see writer-thread.ts).
 */
export function openSqliteWriter(mode: 'inline' | 'thread', opts: { file: string; autoCheckpointPages: number; pragmas: string[] }): SqliteWriter {
  if (mode === 'inline') {
    const { dialect, raw } = openSqlite({ file: opts.file, synchronous: 'NORMAL', autoCheckpointPages: opts.autoCheckpointPages });
    for (const p of opts.pragmas) raw.exec(p);
    return {
      dialect,
      pipelined: false,
      exec: (sqlText) => {
        if (raw.isOpen) raw.exec(sqlText);
      },
      close: async () => {
        if (raw.isOpen) raw.close();
      },
    };
  }
  mkdirSync(dirname(opts.file), { recursive: true });
  const thread = new WriterThread({
    file: opts.file,
    pragmas: ['PRAGMA journal_mode = WAL', 'PRAGMA synchronous = NORMAL', 'PRAGMA foreign_keys = ON', `PRAGMA wal_autocheckpoint = ${Math.trunc(opts.autoCheckpointPages)}`, ...opts.pragmas],
  });
  return {
    dialect: new WriterThreadDialect(thread),
    pipelined: true,
    exec: (sqlText) => void thread.request(sqlText, []).then((reply) => {
      if (reply.error) process.stderr.write(`agentd: the SQLite writer thread refused ${sqlText}: ${reply.error.message}\n`);
    }, (err: Error) => process.stderr.write(`agentd: the SQLite writer thread could not run ${sqlText}: ${err.message}\n`)),
    close: () => thread.close(),
  };
}
