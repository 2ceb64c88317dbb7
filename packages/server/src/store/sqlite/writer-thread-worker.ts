/**
 * The SQLite writer's thread (see writer-thread.ts): it owns the write connection and runs the
 * statements the event loop sends it, in the order sent, a batch per message (answered, where
 * anybody waits, with one message of replies). Only plain values cross: SQL text, parameters,
 * rows, counts, and errors as their fields.
 *
 * A statement sent without an `id` is pipelined: nobody waits for it. If it fails, the failure is
 * kept and every later statement is refused with it, unexecuted, until the sender undoes what it
 * was part of (`ROLLBACK TO SAVEPOINT …` or `rollback`) or a new transaction begins — as
 * PostgreSQL treats an aborted transaction. So the first statement anyone waits for after a
 * failed pipelined one (the write queue waits at the end of each operation) reports that
 * failure, and nothing written after it in the same operation takes effect.
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { LRUCache } from 'lru-cache';
import { parentPort, workerData } from 'node:worker_threads';

export interface WriterThreadData {
  file: string;
  /** PRAGMAs run once the connection is open, in order. */
  pragmas: string[];
}

/** A statement from the event loop: `id` present means the sender waits for the answer. */
export type WriterStatement = { id?: number; sql: string; params: readonly unknown[] };
/** From the event loop: statements to run in order, or the end. */
export type WriterMessage = { statements: WriterStatement[] } | { close: true };

export type WriterError = { message: string; code?: string; errcode?: number; errstr?: string };
export type WriterReply = { id: number; rows?: unknown[]; changes?: number; lastInsertRowid?: number; error?: WriterError };

const { file, pragmas } = workerData as WriterThreadData;
const db = new DatabaseSync(file, { timeout: 5000 });
for (const p of pragmas) db.exec(p);

/** Prepared statements and whether they return rows, by SQL text (as NodeSqliteAdapter keeps them). */
const cache = new LRUCache<string, { s: StatementSync; reader: boolean }>({ max: 500 });

function prepare(sqlText: string): { s: StatementSync; reader: boolean } {
  let entry = cache.get(sqlText);
  if (!entry) {
    const s = db.prepare(sqlText);
    entry = { s, reader: s.columns().length > 0 };
    cache.set(sqlText, entry);
  }
  return entry;
}

/** The failure of a pipelined statement, until it is undone (see the module comment). */
let failed: WriterError | null = null;

const asError = (err: unknown): WriterError => {
  const e = err as { message?: string; code?: string; errcode?: number; errstr?: string };
  return { message: String(e?.message ?? err), code: e?.code, errcode: e?.errcode, errstr: e?.errstr };
};

function execute(sqlText: string, params: readonly unknown[]): Omit<WriterReply, 'id'> {
  const lower = sqlText.length < 40 ? sqlText.toLowerCase() : '';
  const undoes = lower === 'rollback' || lower.startsWith('rollback to savepoint') || lower === 'begin';
  if (failed && !undoes) return { error: failed };
  if (undoes) failed = null;
  // After SQLITE_FULL or an I/O error at COMMIT SQLite may have rolled back by itself; a ROLLBACK
  // then would fail with "no transaction is active" in place of the error that told what happened.
  if (lower === 'rollback' && !db.isTransaction) return { rows: [], changes: 0 };
  const { s, reader } = prepare(sqlText);
  if (reader) return { rows: s.all(...(params as never[])) };
  const r = s.run(...(params as never[]));
  return { rows: [], changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
}

parentPort!.on('message', (msg: WriterMessage) => {
  if ('close' in msg) {
    if (db.isOpen) db.close();
    parentPort!.close();
    return;
  }
  const replies: WriterReply[] = [];
  for (const req of msg.statements) {
    let reply: Omit<WriterReply, 'id'>;
    try {
      reply = execute(req.sql, req.params);
    } catch (err) {
      reply = { error: asError(err) };
      if (req.id === undefined) failed = reply.error!;
    }
    if (req.id !== undefined) replies.push({ id: req.id, ...reply });
  }
  if (replies.length > 0) parentPort!.postMessage(replies);
});
