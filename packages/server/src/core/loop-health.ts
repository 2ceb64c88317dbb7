import { errorContext, type Logger } from './logger.ts';

/** What readiness and operators see of one background loop. */
export interface LoopStatus {
  loop: string;
  consecutive_failures: number;
  total_failures: number;
  /** Items (a run, an approval) that failed inside passes that otherwise went on. */
  failed_items: number;
  last_error: string | null;
  /** ISO time of the last failure, or null. */
  last_failure_at: string | null;
  /** ISO time of the last pass that succeeded, or null. */
  last_success_at: string | null;
}

export interface LoopHealthOptions {
  logger: Logger;
  /** Consecutive failures after which a loop makes readiness fail. Default 3. */
  failureThreshold?: number;
  now?: () => number;
}

export const DEFAULT_LOOP_FAILURE_THRESHOLD = 3;

/**
 * The health of every background loop of one store/engine (sweeper, checkpointer, listener,
 * approval expiry, secret delivery…): each failure is logged with its context and counted; a
 * loop whose last `failureThreshold` passes all failed is `failing`, and `GET /v1/health/ready`
 * answers 503 naming it. A loop that fails once and recovers is logged, not reported: a single
 * failed pass (a database restart) is retried on the next tick anyway.
 */
export class LoopHealth {
  readonly log: Logger;
  readonly threshold: number;
  readonly #now: () => number;
  readonly #loops = new Map<string, LoopMonitor>();

  constructor(opts: LoopHealthOptions) {
    this.log = opts.logger;
    this.threshold = opts.failureThreshold ?? DEFAULT_LOOP_FAILURE_THRESHOLD;
    if (!Number.isInteger(this.threshold) || this.threshold < 1) throw new Error('the loop failure threshold must be a positive integer');
    this.#now = opts.now ?? Date.now;
  }

  /** The monitor of the loop called `name` (made on first use; one per name). */
  loop(name: string): LoopMonitor {
    let m = this.#loops.get(name);
    if (!m) {
      m = new LoopMonitor(name, this.log, this.#now);
      this.#loops.set(name, m);
    }
    return m;
  }

  status(): LoopStatus[] {
    return [...this.#loops.values()].map((m) => m.status());
  }

  /** Loops that failed at least `threshold` times in a row. */
  failing(): LoopStatus[] {
    return this.status().filter((s) => s.consecutive_failures >= this.threshold);
  }
}

export class LoopMonitor {
  readonly name: string;
  readonly #log: Logger;
  readonly #now: () => number;
  #consecutive = 0;
  #total = 0;
  #items = 0;
  #lastError: string | null = null;
  #lastFailureAt: number | null = null;
  #lastSuccessAt: number | null = null;

  constructor(name: string, log: Logger, now: () => number) {
    this.name = name;
    this.#log = log;
    this.#now = now;
  }

  /** A pass went through; a loop that was failing says it recovered. */
  succeeded(): void {
    if (this.#consecutive > 0) this.#log.info({ loop: this.name, failures: this.#consecutive }, `agentd: background loop ${this.name} recovered`);
    this.#consecutive = 0;
    this.#lastSuccessAt = this.#now();
  }

  /** A pass (or one item of it) failed: logged with `context` (which run, which lease…) and counted. */
  failed(err: unknown, context: Record<string, unknown> = {}): void {
    this.#consecutive++;
    this.#total++;
    const e = errorContext(err);
    this.#lastError = e.message;
    this.#lastFailureAt = this.#now();
    this.#log.error({ loop: this.name, ...context, err: e, consecutive_failures: this.#consecutive, total_failures: this.#total }, `agentd: background loop ${this.name} failed: ${e.message}`);
  }

  /**
   * One item of a pass failed (the pass goes on with the others): logged with its context and
   * counted. The pass then ends with `failed` (a summary), so an item that fails on every pass
   * makes the loop `failing` like any other persistent failure.
   */
  itemFailed(err: unknown, context: Record<string, unknown>): void {
    this.#items++;
    const e = errorContext(err);
    this.#lastError = e.message;
    this.#lastFailureAt = this.#now();
    this.#log.error({ loop: this.name, ...context, err: e, failed_items: this.#items }, `agentd: background loop ${this.name}: an item failed: ${e.message}`);
  }

  status(): LoopStatus {
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      loop: this.name,
      consecutive_failures: this.#consecutive,
      total_failures: this.#total,
      failed_items: this.#items,
      last_error: this.#lastError,
      last_failure_at: iso(this.#lastFailureAt),
      last_success_at: iso(this.#lastSuccessAt),
    };
  }
}
