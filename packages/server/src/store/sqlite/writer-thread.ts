import { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { AgentdSqliteQueryCompiler } from './sqlite-compiler.ts';
import type { WriterError, WriterMessage, WriterReply, WriterStatement, WriterThreadData } from './writer-thread-worker.ts';

const WORKER = import.meta.url.endsWith('.ts') ? './writer-thread-worker.ts' : './writer-thread-worker.js';

/** The SQLite error a writer-thread failure stands for (the fields sqlite-errors.ts reads). */
function toError(e: WriterError): Error {
  return Object.assign(new Error(e.message), { code: e.code, errcode: e.errcode, errstr: e.errstr });
}

/**
 * Whether nobody needs a statement's answer, so it can be sent without waiting: a plain INSERT
 * (no RETURNING, no ON CONFLICT: its only answer is a row count nobody reads) and the write
 * queue's savepoints. Its failure, if any, is reported by the next statement waited for (see
 * writer-thread-worker.ts).
 */
export function isPipelined(sqlText: string): boolean {
  if (sqlText === 'SAVEPOINT agentd_op' || sqlText === 'RELEASE SAVEPOINT agentd_op' || sqlText === 'begin') return true;
  if (!sqlText.startsWith('insert into ')) return false;
  return !/\breturning\b|\bon conflict\b|\bselect\b/i.test(sqlText);
}

/**
 * SQLite's write connection on a thread of its own (`--sqlite-writer thread`): the event loop
 * builds the statements and the thread runs them, so SQLite's own work — the statements, the
 * commits' writes to the WAL — no longer takes the server's one JavaScript thread. Statements
 * whose answer nobody needs go without a round trip (isPipelined); the write queue waits once at
 * the end of each operation (OpSavepoints.settle), so a failure is still its operation's alone.
 *
 * Statements cross in batches, not one message each: a pipelined statement is held until the
 * next one somebody waits for (or the end of the event loop's turn), and they go together in one
 * message; the thread answers a batch with one message too. A transaction thus costs as many
 * hand-overs as it has statements whose answer it needs, not as many as it has statements.
 */
export class WriterThread {
  readonly #worker: Worker;
  readonly #waiting = new Map<number, { resolve: (r: WriterReply) => void; reject: (e: Error) => void }>();
  #nextId = 1;
  #dead: Error | null = null;
  /** Pipelined statements not sent yet (see the class comment). */
  #held: WriterStatement[] = [];
  #flushArmed = false;
  readonly #exited: Promise<void>;

  constructor(data: WriterThreadData) {
    this.#worker = new Worker(new URL(WORKER, import.meta.url), { workerData: data });
    this.#worker.on('message', (replies: WriterReply[]) => {
      for (const reply of replies) {
        const w = this.#waiting.get(reply.id);
        if (!w) continue;
        this.#waiting.delete(reply.id);
        w.resolve(reply);
      }
    });
    const fail = (err: Error) => {
      this.#dead ??= err;
      for (const w of this.#waiting.values()) w.reject(err);
      this.#waiting.clear();
    };
    this.#worker.on('error', (err) => fail(Object.assign(new Error(`the SQLite writer thread failed: ${err.message}`, { cause: err }), { code: 'ERR_SQLITE_ERROR', errcode: 10 })));
    this.#exited = new Promise((resolve) => this.#worker.once('exit', () => {
      fail(Object.assign(new Error('the SQLite writer thread has stopped'), { code: 'ERR_SQLITE_ERROR', errcode: 10 }));
      resolve();
    }));
  }

  /** Runs a statement and answers with its result (a failure as a rejected promise). */
  request(sqlText: string, params: readonly unknown[]): Promise<WriterReply> {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<WriterReply>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#held.push({ id, sql: sqlText, params });
      this.#flush();
    });
  }

  /** Sends a statement without waiting for it (see isPipelined): with the next batch. */
  pipeline(sqlText: string, params: readonly unknown[]): void {
    if (this.#dead) return; // the next request reports it
    this.#held.push({ sql: sqlText, params });
    if (this.#flushArmed) return;
    // Nobody may wait for anything after it (a write outside the write queue): it still goes.
    this.#flushArmed = true;
    setImmediate(() => {
      this.#flushArmed = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#held.length === 0 || this.#dead) return;
    const statements = this.#held;
    this.#held = [];
    this.#worker.postMessage({ statements } satisfies WriterMessage);
  }

  async close(): Promise<void> {
    if (!this.#dead) {
      this.#flush();
      this.#worker.postMessage({ close: true } satisfies WriterMessage);
    }
    await this.#exited;
  }
}

class ThreadConnection implements DatabaseConnection {
  readonly #thread: WriterThread;

  constructor(thread: WriterThread) {
    this.#thread = thread;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const { sql: text, parameters } = compiled;
    if (isPipelined(text)) {
      this.#thread.pipeline(text, parameters);
      return { rows: [] };
    }
    const reply = await this.#thread.request(text, parameters);
    if (reply.error) throw toError(reply.error);
    if (reply.changes === undefined) return { rows: (reply.rows ?? []) as R[] };
    return { rows: (reply.rows ?? []) as R[], numAffectedRows: BigInt(reply.changes), insertId: reply.lastInsertRowid === undefined ? undefined : BigInt(reply.lastInsertRowid) };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('the SQLite writer thread does not stream; read through the read connection');
  }
}

class ThreadDriver implements Driver {
  readonly #connection: ThreadConnection;
  readonly #thread: WriterThread;

  constructor(thread: WriterThread) {
    this.#thread = thread;
    this.#connection = new ThreadConnection(thread);
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.#connection;
  }
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {
    await this.#thread.close();
  }
}

/** Kysely's SQLite dialect with the writer thread as its one connection. */
export class WriterThreadDialect implements Dialect {
  readonly #thread: WriterThread;

  constructor(thread: WriterThread) {
    this.#thread = thread;
  }

  createDriver(): Driver {
    return new ThreadDriver(this.#thread);
  }
  createQueryCompiler(): QueryCompiler {
    return new AgentdSqliteQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
