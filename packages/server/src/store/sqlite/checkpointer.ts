import { Worker } from 'node:worker_threads';
import type { LoopMonitor } from '../../core/index.ts';

// The thread's file next to this one: the source in the repository, the compiled file in the
// published package (tsc rewrites import specifiers, not URLs).
const CHECKPOINT_WORKER = import.meta.url.endsWith('.ts') ? './checkpoint-worker.ts' : './checkpoint-worker.js';

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold, on the committing connection: it copies the WAL into the database file
 * and fsyncs both while the server's only thread waits for the disk. Here a worker thread with
 * its own connection checkpoints every `intervalMs` (PASSIVE: it never blocks the writer or the
 * readers; with nothing new in the WAL it does nothing), and the writer's automatic checkpoint
 * stays as a safety net far above the WAL size this keeps (see store.ts). If the thread fails,
 * `onFailure` is told once, so the writer can go back to checkpointing often itself. Failed
 * checkpoints (the thread goes on) are reported to `monitor`: logged, counted, and readiness
 * fails while they keep failing.
 */
export class Checkpointer {
  readonly #worker: Worker;
  #exited = false;
  #closing = false;

  constructor(file: string, opts: { intervalMs?: number; monitor: LoopMonitor; onFailure: (err: Error) => void }) {
    this.#worker = new Worker(new URL(CHECKPOINT_WORKER, import.meta.url), { workerData: { file, intervalMs: opts.intervalMs ?? 100 } });
    let failed = false;
    const fail = (err: Error) => {
      if (failed || this.#closing) return;
      failed = true;
      opts.onFailure(err);
    };
    this.#worker.on('error', fail);
    this.#worker.on('message', (msg: { failed?: number; error?: string; ok?: boolean }) => {
      if (msg.ok) opts.monitor.succeeded();
      else if (msg.failed) opts.monitor.failed(new Error(msg.error ?? 'unknown error'), { what: 'WAL checkpoint', file, failures_since_last_report: msg.failed });
    });
    this.#worker.on('exit', (code) => {
      this.#exited = true;
      fail(new Error(`the checkpoint thread exited (code ${code})`));
    });
    // Last: adding a listener refs the thread again, and it must not keep the process alive.
    this.#worker.unref();
  }

  /** Stops the thread after its current checkpoint; its connection closes cleanly. */
  async close(): Promise<void> {
    this.#closing = true;
    if (this.#exited) return;
    // Held while closing: with the thread unref'd, a process with nothing else to do would
    // otherwise exit here, before the store's connections are closed.
    this.#worker.ref();
    const exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()));
    this.#worker.postMessage('close');
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    if (!this.#exited) await this.#worker.terminate();
  }
}
