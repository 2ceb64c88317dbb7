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

const timer = setInterval(() => {
  // PASSIVE never waits for a lock; a failed checkpoint is tried again on the next tick, and the
  // writer's own automatic checkpoint remains if this one keeps failing.
  try {
    checkpoint.get();
  } catch {}
}, intervalMs);

parentPort!.on('message', (msg: string) => {
  if (msg !== 'close') return;
  clearInterval(timer);
  db.close();
  parentPort!.close();
});
