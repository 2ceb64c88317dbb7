import { EventEmitter } from 'node:events';
import type { CommitResult } from './write-queue.ts';

/**
 * In-process fan-out of "something changed" signals. Listeners never receive data to trust:
 * they re-read the database after a wake-up, so a missed or duplicated signal costs latency,
 * never correctness. On PostgreSQL the same signals also arrive from other nodes (PgListener).
 */
export class Notifier {
  readonly #bus = new EventEmitter();

  constructor() {
    // One listener per open stream or waiting poller; thousands are normal.
    this.#bus.setMaxListeners(0);
  }

  /**
   * Topics: `run:<id>`, `tenant:<id>`, `queue:<tenant>\u0000<agent>`, and `commit`: once per
   * transaction this node's write queue committed (what tests and metrics count commits by).
   */
  on(topic: string, fn: () => void): () => void {
    this.#bus.on(topic, fn);
    return () => this.#bus.off(topic, fn);
  }

  emit(topic: string): void {
    this.#bus.emit(topic);
  }

  publishCommit(result: CommitResult): void {
    this.emit('commit');
    this.publish(
      result.events.map((e) => e.run_id),
      result.events.map((e) => e.tenant_id),
      [...result.wakes],
    );
  }

  publish(runs: string[], tenants: string[], queues: string[]): void {
    for (const r of new Set(runs)) this.emit(`run:${r}`);
    for (const t of new Set(tenants)) this.emit(`tenant:${t}`);
    for (const q of new Set(queues)) this.emit(`queue:${q}`);
  }
}
