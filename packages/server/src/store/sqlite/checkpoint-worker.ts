/**
 * The checkpointer's thread (see checkpointer.ts): its own connection to the database, copying
 * WAL frames into the database file every `intervalMs`, with the fsyncs that takes.
 */
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const { file, intervalMs } = workerData as { file: string; intervalMs: number };
const db = new DatabaseSync(file);
db.exec('PRAGMA synchronous = NORMAL'); // a checkpoint fsyncs the WAL before and the file after
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

/** Failures are reported at most this often (a failing disk would otherwise log ten lines a second). */
const REPORT_INTERVAL_MS = 1000;
let failures = 0;
let lastError = '';
let reportedAt = 0;
let failing = false;

/** Messages to the parent: `{ failed: n, error }` (n failures since the last report), `{ ok: true }` once recovered. */
const timer = setInterval(() => {
  // PASSIVE never waits for a lock; a failed checkpoint is tried again on the next tick, and the
  // writer's own automatic checkpoint remains if this one keeps failing.
  try {
    checkpoint.get();
    if (failing) {
      if (failures > 0) parentPort!.postMessage({ failed: failures, error: lastError });
      parentPort!.postMessage({ ok: true });
      failing = false;
      failures = 0;
    }
  } catch (err) {
    failing = true;
    failures++;
    lastError = (err as Error).message;
    const now = Date.now();
    if (now - reportedAt >= REPORT_INTERVAL_MS) {
      reportedAt = now;
      parentPort!.postMessage({ failed: failures, error: lastError });
      failures = 0;
    }
  }
}, intervalMs);

parentPort!.on('message', (msg: string) => {
  if (msg !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
