import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold, on the committing connection: it copies the WAL into the database file
 * and fsyncs both while the server's only thread waits for the disk. Here a worker thread with
 * its own connection checkpoints every `intervalMs` (PASSIVE: it never blocks the writer or the
 * readers), and the writer's automatic checkpoint stays as a safety net far above the WAL size
 * this keeps (see SAFETY_NET_CHECKPOINT_PAGES in store.ts).
 */
export class Checkpointer {
  readonly #worker: Worker;

  constructor(file: string, opts: { intervalMs?: number } = {}) {
    this.#worker = new Worker(new URL('./checkpoint-worker.ts', import.meta.url), { workerData: { file, intervalMs: opts.intervalMs ?? 100 } });
    // A thread that failed to start leaves the writer's own automatic checkpoint doing the work.
    this.#worker.on('error', () => {});
    // Last: adding a listener refs the thread again, and it must not keep the process alive.
    this.#worker.unref();
  }

  /** Stops the thread after its current checkpoint; its connection closes cleanly. */
  async close(): Promise<void> {
    const exited = once(this.#worker, 'exit').catch(() => {});
    this.#worker.postMessage('close');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    await this.#worker.terminate();
  }
}
